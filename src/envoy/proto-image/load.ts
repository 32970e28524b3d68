/**
 * The proto services behind a gateway, from a `buf build` image (or from
 * `buf build` run in the current directory). Both `generate` (RBAC from the
 * access options) and `validate` (the config compared with them) read it.
 */
import { createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ProtoImageError } from "../errors.js";
import { type ImageOptions, readImage } from "./image.js";

/**
 * The services of a `buf build` image (or of `buf build` run in `options.cwd`,
 * default the current directory, when no image is given; that image is cached while the
 * protos are unchanged), sorted by name so output does not depend on file order.
 */
export function loadServices(image?: string, options: ImageOptions = {}): DescService[] {
  return servicesOf(readImage(image, options), image);
}

/** The services in an image's bytes; `image` names it in errors (undefined: `buf build`). */
export function servicesOf(bytes: Uint8Array, image?: string): DescService[] {
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  } catch (err) {
    throw new ProtoImageError(
      `${image ?? "buf build"}: not a descriptor set: ${(err as Error).message}`,
    );
  }
  const services: DescService[] = [];
  for (const file of registry.files) services.push(...file.services);
  services.sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0));
  if (services.length === 0)
    throw new ProtoImageError(`${image ?? "buf build"}: the image has no services`);
  return services;
}
