/**
 * Redaction of credentials from text that may reach a log or an error message.
 *
 * The SDK never puts tokens into its own messages; this is the second line of defence for
 * text that comes from elsewhere (an identity provider's `error_description`, a URL).
 */

const jwtLike = /\beyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const bearer = /\b(Bearer|DPoP)\s+[^\s,;"']+/gi;
const sensitiveParam =
  /\b(access_token|refresh_token|id_token|code|code_verifier|client_secret|state|session_state)=([^&#\s"']+)/gi;

/**
 * Replace anything that looks like a credential in `text`: JWTs, `Bearer …` values,
 * OAuth parameters (`code=`, `refresh_token=`, …) and any of the `known` secret strings.
 *
 * @example
 * redact("failed: refresh_token=abc") // "failed: refresh_token=[redacted]"
 */
export function redact(text: string, known: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const secret of known) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(jwtLike, "[redacted-jwt]")
    .replace(bearer, "$1 [redacted]")
    .replace(sensitiveParam, "$1=[redacted]");
}
