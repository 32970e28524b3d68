import type { DecodedMessage } from "../schema/decode.js";
import type { ConfigQuery } from "./config.js";
import { stringMatches } from "./matchers.js";
import { T } from "./type-names.js";
import { isMsg } from "./values.js";

/** Every oauth2 filter config (session mode) of the bootstrap. */
export function oauth2Configs(q: ConfigQuery): readonly DecodedMessage[] {
  return q.all(T.oauth2Config);
}

/** True when the config runs Envoy's oauth2 filter: the browser holds cookies, not tokens. */
export function isSessionMode(q: ConfigQuery): boolean {
  return oauth2Configs(q).length > 0;
}

/** What a gRPC-Web client sends from a browser (connect-web and Google's grpc-web alike). */
const GRPC_WEB_REQUEST: Readonly<Record<string, string>> = {
  "content-type": "application/grpc-web+proto",
  "x-grpc-web": "1",
  "sec-fetch-mode": "cors",
};

/** Whether one of these HeaderMatchers matches a browser's gRPC-Web call. */
export function matchesGrpcWebCall(matchers: readonly DecodedMessage[]): boolean {
  return matchers.some((m) => {
    if (typeof m.name !== "string") return false;
    const value = GRPC_WEB_REQUEST[m.name.toLowerCase()];
    if (value === undefined) return false;
    let hit = true;
    if (isMsg(m.string_match)) hit = stringMatches(m.string_match, value);
    else if (typeof m.exact_match === "string") hit = m.exact_match === value;
    else if (typeof m.prefix_match === "string") hit = value.startsWith(m.prefix_match);
    return m.invert_match === true ? !hit : hit;
  });
}
