/**
 * Hacker News-shaped items for the test API: every fourth id is a story whose
 * kids are the three comments after it.
 *
 * @module
 */

import { BASE_S } from "./_records.ts";

/** JSON text of item `id` of `count`, or `null` when out of range. */
export function hnItemJson(id: number, count: number): string {
  if (!Number.isInteger(id) || id < 1 || id > count) return "null";
  const by = `user${id % 100}`;
  const time = BASE_S + id * 60;
  if (id % 4 === 1) {
    const kids: number[] = [];
    for (let k = id + 1; k <= Math.min(id + 3, count); k++) kids.push(k);
    const item: Record<string, unknown> = {
      id,
      type: "story",
      by,
      time,
      title: `Story ${id}`,
      score: id % 100,
      descendants: kids.length,
    };
    if (kids.length > 0) item.kids = kids;
    return JSON.stringify(item);
  }
  const parent = id - ((id - 1) % 4);
  return JSON.stringify({
    id,
    type: "comment",
    by,
    time,
    text: `Comment ${id} on ${parent}`,
    parent,
  });
}
