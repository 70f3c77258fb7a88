/**
 * Maps `items` with at most `limit` calls of `fn` in flight, keeping the input order in the
 * result. Reading thousands of small files one `await` at a time leaves the disk and the thread
 * pool idle between them; a few dozen in flight keep them busy without opening too many files.
 * The first failure rejects the whole map (later items may still be in flight).
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
