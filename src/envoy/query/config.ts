import type { AccessPolicy } from "../../access/index.js";
import type { DecodedMessage } from "../schema/decoded.js";

/**
 * A decoded Envoy config ready to be asked questions: the root message, an
 * index of every decoded message by type, and the proto methods' access
 * policy when the caller has the services. The lint rules, the cross-reference
 * checks and the policy comparison all read a config through this.
 */
export interface ConfigQuery {
  readonly config: DecodedMessage;
  /** Every decoded message of a type (full name, e.g. {@link T}`.listener`), in document order. */
  all(typeName: string): readonly DecodedMessage[];
  /** The proto methods and their access rules, when descriptors were given. */
  readonly policy: AccessPolicy | undefined;
}
