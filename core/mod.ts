/**
 * inlet's public surface for connector authors: everything a connector
 * imports comes from here, and `pull()` to run one from code (the package's
 * `.` export; the CLI is `./cli`, the test kit `./testing`).
 *
 * @example
 * ```ts
 * import { defineConnector, offsetPaginator } from "./mod.ts";
 *
 * export default defineConnector({
 *   name: "shop",
 *   baseUrl: "https://shop.example.com/api",
 *   streams: {
 *     orders: {
 *       path: "/orders",
 *       recordsPath: "orders",
 *       primaryKey: "id",
 *       paginator: offsetPaginator({ limit: 100, totalPath: "total" }),
 *     },
 *   },
 * });
 * ```
 *
 * @module
 */
export { type Connector, defineConnector } from "./connector/connector.ts";
export type { ColumnDeclaration } from "./connector/column_type.ts";
export {
  pull,
  type PullOptions,
  type RunEvent,
  type RunSummary,
  type StreamSummary,
} from "./run/pull.ts";
export {
  cursorPaginator,
  idRangePaginator,
  keysetPaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  singlePaginator,
} from "./paging/paginators.ts";
export {
  ConfigError,
  HttpError,
  NetworkError,
  PaginationError,
  SchemaError,
  StalledError,
} from "./connector/errors.ts";
export type {
  Auth,
  ConnectorDef,
  Next,
  OAuth2Auth,
  PageRequest,
  PageResponse,
  PaginateContext,
  Paginator,
  ParamValue,
  RateLimit,
  Row,
  StreamDef,
  Transform,
} from "./connector/types.ts";
