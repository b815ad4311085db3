/**
 * A Server-Sent Events parser (the WHATWG "event stream interpretation")
 * over a fetch `Response.body`. EventSource cannot send an Authorization
 * header, which the revocation feed needs, so the feed reads the stream
 * with fetch and this.
 */

export interface SseEvent {
  /** `event:` field, `"message"` when absent. */
  event: string;
  data: string;
  /** The last event id seen on the stream so far (it carries over). */
  id: string;
}

export interface SseHandlers {
  /** Any bytes arrived (an event, a comment, a keepalive). */
  onActivity?: () => void;
  /** A comment line (`: keepalive`), without the colon. */
  onComment?: (text: string) => void;
  onEvent: (event: SseEvent) => void;
}

/**
 * Reads `body` to its end (or until `signal` aborts) and calls the handlers.
 * `lastEventId` is the id the stream starts from.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  handlers: SseHandlers,
  lastEventId = "",
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let first = true;
  let pendingCr = false;
  let id = lastEventId;
  let event = "";
  let data: string[] = [];

  const line = (text: string): void => {
    if (text === "") {
      // As EventSource: an event without data (or one empty data line) is
      // not dispatched.
      const joined = data.join("\n");
      if (joined !== "" || data.length > 1) {
        handlers.onEvent({ event: event || "message", data: joined, id });
      }
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) {
      handlers.onComment?.(text.slice(1).trimStart());
      return;
    }
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        event = value;
        break;
      case "data":
        data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) id = value;
        break;
      default:
        // `retry` and unknown fields: the feed's reconnect policy is ours.
        break;
    }
  };

  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      handlers.onActivity?.();
      let chunk = decoder.decode(value, { stream: true });
      if (first && chunk.length > 0) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        first = false;
      }
      // A CR at the end of the previous chunk already ended a line: a LF
      // right after it is the same line end.
      if (pendingCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
      pendingCr = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === 10) i++;
          } else {
            pendingCr = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.releaseLock();
  }
}
