/**
 * inlet's public surface for connector authors: everything a connector
 * imports comes from here.
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
