/**
 * The standard gRPC health service (grpc.health.v1): Check answers the current status,
 * Watch streams the status and every change until the client goes away or the server
 * shuts down. Service "" is the server as a whole.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

export interface HealthServiceOptions {
  /**
   * Initial statuses by service name; `""` is the whole server.
   * Example: `{ "": ServingStatus.SERVING, "demo.v1.NotesService": ServingStatus.SERVING }`.
   * @default { "": SERVING }
   */
  initial?: Readonly<Record<string, ServingStatus>>;
  /** Longest accepted service name. @default 256 */
  maxServiceNameLength?: number;
}

/** The health service implementation plus the switch that drives it. */
export interface HealthService {
  /** Pass to `router.service(Health, health.implementation)`. */
  readonly implementation: ServiceImpl<typeof Health>;
  /** Sets a service's status and notifies watchers. */
  setStatus(service: string, status: ServingStatus): void;
  /** Current status, or undefined for an unknown service. */
  getStatus(service: string): ServingStatus | undefined;
  /** Marks every service NOT_SERVING (call when draining before shutdown). */
  shutdown(): void;
}

/** Creates a health service. */
export function createHealthService(options: HealthServiceOptions = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(
    Object.entries(options.initial ?? { "": ServingStatus.SERVING }),
  );
  const maxName = options.maxServiceNameLength ?? 256;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const w of [...watchers]) w();
  };
  const checkName = (name: string) => {
    if (name.length > maxName) {
      throw new ConnectError("service name too long", Code.InvalidArgument);
    }
  };

  const implementation: ServiceImpl<typeof Health> = {
    check(req) {
      checkName(req.service);
      const status = statuses.get(req.service);
      if (status === undefined) throw new ConnectError("unknown service", Code.NotFound);
      return { status };
    },
    async *watch(req, ctx) {
      checkName(req.service);
      let last: ServingStatus | undefined;
      let dirty = false;
      let wake: (() => void) | undefined;
      const onChange = () => {
        dirty = true;
        wake?.();
      };
      watchers.add(onChange);
      ctx.signal.addEventListener("abort", onChange);
      try {
        while (!ctx.signal.aborted) {
          dirty = false;
          const status = statuses.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield { status };
          }
          if (!dirty && !ctx.signal.aborted) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
          wake = undefined;
        }
      } finally {
        watchers.delete(onChange);
        ctx.signal.removeEventListener("abort", onChange);
      }
    },
  };

  return {
    implementation,
    setStatus(service, status) {
      statuses.set(service, status);
      notify();
    },
    getStatus: (service) => statuses.get(service),
    shutdown() {
      for (const key of statuses.keys()) statuses.set(key, ServingStatus.NOT_SERVING);
      notify();
    },
  };
}
