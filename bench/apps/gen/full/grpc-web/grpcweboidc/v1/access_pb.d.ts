import * as jspb from 'google-protobuf'

import * as google_protobuf_descriptor_pb from 'google-protobuf/google/protobuf/descriptor_pb';


export class MethodAccess extends jspb.Message {
  getPublic(): boolean;
  setPublic(value: boolean): MethodAccess;

  getScopesList(): Array<string>;
  setScopesList(value: Array<string>): MethodAccess;
  clearScopesList(): MethodAccess;
  addScopes(value: string, index?: number): MethodAccess;

  getRolesList(): Array<string>;
  setRolesList(value: Array<string>): MethodAccess;
  clearRolesList(): MethodAccess;
  addRoles(value: string, index?: number): MethodAccess;

  getAuthenticated(): boolean;
  setAuthenticated(value: boolean): MethodAccess;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): MethodAccess.AsObject;
  static toObject(includeInstance: boolean, msg: MethodAccess): MethodAccess.AsObject;
  static serializeBinaryToWriter(message: MethodAccess, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): MethodAccess;
  static deserializeBinaryFromReader(message: MethodAccess, reader: jspb.BinaryReader): MethodAccess;
}

export namespace MethodAccess {
  export type AsObject = {
    pb_public: boolean,
    scopesList: Array<string>,
    rolesList: Array<string>,
    authenticated: boolean,
  }
}

