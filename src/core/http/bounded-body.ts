/**
 * A response body as text, read up to `limit` bytes: a larger one (declared by Content-Length or found while reading)
 * stops the read and throws `tooLarge()`, so a hostile or broken server causes an error, not an out-of-memory.
 */
export async function readBoundedText(res: Response, limit: number, tooLarge: () => Error): Promise<string> {
  if (Number(res.headers.get('content-length')) > limit) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
