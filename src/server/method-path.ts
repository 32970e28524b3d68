import type { DescMethod, DescService } from "@bufbuild/protobuf";

/** The HTTP/2 path of a method, e.g. `/demo.v1.NotesService/GetNote`. */
export function methodPath(req: { service: DescService; method: DescMethod }): string {
  return `/${req.service.typeName}/${req.method.name}`;
}
