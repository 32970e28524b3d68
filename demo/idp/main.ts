/**
 * The local IdP alone: `npx tsx demo/idp/main.ts`.
 * Env: GWO_IDP_PORT (9443), GWO_WEB_PORT (5173, for the redirect URI),
 * GWO_TOKEN_TTL (300), GWO_RENEW_WINDOW (60), GWO_CERT_DIR (.certs).
 */
import { ensureDevPki } from "../pki.js";
import { startIdp } from "./server.js";
import { DEV_USERS } from "./users.js";

const port = Number(process.env.GWO_IDP_PORT ?? 9443);
const web = `https://localhost:${process.env.GWO_WEB_PORT ?? 5173}`;
const pki = ensureDevPki(process.env.GWO_CERT_DIR);
const idp = await startIdp({ pki, port, redirectUris: [`${web}/callback`, `${web}/`] });
console.log(`OIDC provider: ${idp.issuer}/.well-known/openid-configuration`);
console.log(`Dev users: ${DEV_USERS.map((u) => `${u.login}/${u.password}`).join(", ")}`);
const stop = () => {
  void idp.close().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
