/**
 * The HTTP/2 path of a method, `/<package>.<Service>/<Method>`, as gRPC, gRPC-Web and
 * Connect put it on the wire; the key of the access policy, the gateway's RBAC and
 * routes, and the backend's logs.
 *
 * @example methodPath({ service: NotesService, method: NotesService.method.getNote })
 * // "/demo.v1.NotesService/GetNote"
 */
export function methodPath(call: {
  readonly service: { readonly typeName: string };
  readonly method: { readonly name: string };
}): string {
  return `/${call.service.typeName}/${call.method.name}`;
}
