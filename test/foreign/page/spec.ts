/** What the page's clients are asked to do and what they report (no browser code here). */

export type ClientName = "grpc-web-binary" | "grpc-web-text" | "connect-es" | "grpc-web-oidc";
export const CLIENTS: readonly ClientName[] = [
  "grpc-web-binary",
  "grpc-web-text",
  "connect-es",
  "grpc-web-oidc",
];

/** What to call. Unary methods take no fields; WatchNotes takes `count` and `intervalMs`. */
export interface CallSpec {
  client: ClientName;
  /** `https://host:port` of the gRPC-Web endpoint. */
  baseUrl: string;
  method: "WhoAmI" | "ListNotes" | "WatchNotes";
  /** Send the call to this path instead (a method the service does not have). */
  path?: string;
  token?: string;
  count?: number;
  intervalMs?: number;
  /** Deadline in ms from the start of the call. */
  deadlineMs?: number;
}

/** What the client read. `code` 0 on success. */
export interface CallResult {
  code: number;
  message: string;
  /** Messages received (1 for a successful unary call). */
  messages: number;
  /** WhoAmI's subject, when called. */
  subject?: string;
}
