import * as jspb from 'google-protobuf'

import * as grpcweboidc_v1_access_pb from '../../grpcweboidc/v1/access_pb';


export class Note extends jspb.Message {
  getId(): string;
  setId(value: string): Note;

  getText(): string;
  setText(value: string): Note;

  getAuthor(): string;
  setAuthor(value: string): Note;

  getCreatedAtMs(): number;
  setCreatedAtMs(value: number): Note;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): Note.AsObject;
  static toObject(includeInstance: boolean, msg: Note): Note.AsObject;
  static serializeBinaryToWriter(message: Note, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): Note;
  static deserializeBinaryFromReader(message: Note, reader: jspb.BinaryReader): Note;
}

export namespace Note {
  export type AsObject = {
    id: string,
    text: string,
    author: string,
    createdAtMs: number,
  }
}

export class WhoAmIRequest extends jspb.Message {
  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): WhoAmIRequest.AsObject;
  static toObject(includeInstance: boolean, msg: WhoAmIRequest): WhoAmIRequest.AsObject;
  static serializeBinaryToWriter(message: WhoAmIRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): WhoAmIRequest;
  static deserializeBinaryFromReader(message: WhoAmIRequest, reader: jspb.BinaryReader): WhoAmIRequest;
}

export namespace WhoAmIRequest {
  export type AsObject = {
  }
}

export class WhoAmIResponse extends jspb.Message {
  getSubject(): string;
  setSubject(value: string): WhoAmIResponse;

  getScopesList(): Array<string>;
  setScopesList(value: Array<string>): WhoAmIResponse;
  clearScopesList(): WhoAmIResponse;
  addScopes(value: string, index?: number): WhoAmIResponse;

  getRolesList(): Array<string>;
  setRolesList(value: Array<string>): WhoAmIResponse;
  clearRolesList(): WhoAmIResponse;
  addRoles(value: string, index?: number): WhoAmIResponse;

  getPeerIdentity(): string;
  setPeerIdentity(value: string): WhoAmIResponse;

  getTokenExpiresInS(): number;
  setTokenExpiresInS(value: number): WhoAmIResponse;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): WhoAmIResponse.AsObject;
  static toObject(includeInstance: boolean, msg: WhoAmIResponse): WhoAmIResponse.AsObject;
  static serializeBinaryToWriter(message: WhoAmIResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): WhoAmIResponse;
  static deserializeBinaryFromReader(message: WhoAmIResponse, reader: jspb.BinaryReader): WhoAmIResponse;
}

export namespace WhoAmIResponse {
  export type AsObject = {
    subject: string,
    scopesList: Array<string>,
    rolesList: Array<string>,
    peerIdentity: string,
    tokenExpiresInS: number,
  }
}

export class ListNotesRequest extends jspb.Message {
  getLimit(): number;
  setLimit(value: number): ListNotesRequest;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): ListNotesRequest.AsObject;
  static toObject(includeInstance: boolean, msg: ListNotesRequest): ListNotesRequest.AsObject;
  static serializeBinaryToWriter(message: ListNotesRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): ListNotesRequest;
  static deserializeBinaryFromReader(message: ListNotesRequest, reader: jspb.BinaryReader): ListNotesRequest;
}

export namespace ListNotesRequest {
  export type AsObject = {
    limit: number,
  }
}

export class ListNotesResponse extends jspb.Message {
  getNotesList(): Array<Note>;
  setNotesList(value: Array<Note>): ListNotesResponse;
  clearNotesList(): ListNotesResponse;
  addNotes(value?: Note, index?: number): Note;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): ListNotesResponse.AsObject;
  static toObject(includeInstance: boolean, msg: ListNotesResponse): ListNotesResponse.AsObject;
  static serializeBinaryToWriter(message: ListNotesResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): ListNotesResponse;
  static deserializeBinaryFromReader(message: ListNotesResponse, reader: jspb.BinaryReader): ListNotesResponse;
}

export namespace ListNotesResponse {
  export type AsObject = {
    notesList: Array<Note.AsObject>,
  }
}

export class GetNoteRequest extends jspb.Message {
  getId(): string;
  setId(value: string): GetNoteRequest;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): GetNoteRequest.AsObject;
  static toObject(includeInstance: boolean, msg: GetNoteRequest): GetNoteRequest.AsObject;
  static serializeBinaryToWriter(message: GetNoteRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): GetNoteRequest;
  static deserializeBinaryFromReader(message: GetNoteRequest, reader: jspb.BinaryReader): GetNoteRequest;
}

export namespace GetNoteRequest {
  export type AsObject = {
    id: string,
  }
}

export class GetNoteResponse extends jspb.Message {
  getNote(): Note | undefined;
  setNote(value?: Note): GetNoteResponse;
  hasNote(): boolean;
  clearNote(): GetNoteResponse;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): GetNoteResponse.AsObject;
  static toObject(includeInstance: boolean, msg: GetNoteResponse): GetNoteResponse.AsObject;
  static serializeBinaryToWriter(message: GetNoteResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): GetNoteResponse;
  static deserializeBinaryFromReader(message: GetNoteResponse, reader: jspb.BinaryReader): GetNoteResponse;
}

export namespace GetNoteResponse {
  export type AsObject = {
    note?: Note.AsObject,
  }
}

export class CreateNoteRequest extends jspb.Message {
  getText(): string;
  setText(value: string): CreateNoteRequest;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): CreateNoteRequest.AsObject;
  static toObject(includeInstance: boolean, msg: CreateNoteRequest): CreateNoteRequest.AsObject;
  static serializeBinaryToWriter(message: CreateNoteRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): CreateNoteRequest;
  static deserializeBinaryFromReader(message: CreateNoteRequest, reader: jspb.BinaryReader): CreateNoteRequest;
}

export namespace CreateNoteRequest {
  export type AsObject = {
    text: string,
  }
}

export class CreateNoteResponse extends jspb.Message {
  getNote(): Note | undefined;
  setNote(value?: Note): CreateNoteResponse;
  hasNote(): boolean;
  clearNote(): CreateNoteResponse;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): CreateNoteResponse.AsObject;
  static toObject(includeInstance: boolean, msg: CreateNoteResponse): CreateNoteResponse.AsObject;
  static serializeBinaryToWriter(message: CreateNoteResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): CreateNoteResponse;
  static deserializeBinaryFromReader(message: CreateNoteResponse, reader: jspb.BinaryReader): CreateNoteResponse;
}

export namespace CreateNoteResponse {
  export type AsObject = {
    note?: Note.AsObject,
  }
}

export class PurgeNotesRequest extends jspb.Message {
  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): PurgeNotesRequest.AsObject;
  static toObject(includeInstance: boolean, msg: PurgeNotesRequest): PurgeNotesRequest.AsObject;
  static serializeBinaryToWriter(message: PurgeNotesRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): PurgeNotesRequest;
  static deserializeBinaryFromReader(message: PurgeNotesRequest, reader: jspb.BinaryReader): PurgeNotesRequest;
}

export namespace PurgeNotesRequest {
  export type AsObject = {
  }
}

export class PurgeNotesResponse extends jspb.Message {
  getDeleted(): number;
  setDeleted(value: number): PurgeNotesResponse;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): PurgeNotesResponse.AsObject;
  static toObject(includeInstance: boolean, msg: PurgeNotesResponse): PurgeNotesResponse.AsObject;
  static serializeBinaryToWriter(message: PurgeNotesResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): PurgeNotesResponse;
  static deserializeBinaryFromReader(message: PurgeNotesResponse, reader: jspb.BinaryReader): PurgeNotesResponse;
}

export namespace PurgeNotesResponse {
  export type AsObject = {
    deleted: number,
  }
}

export class WatchNotesRequest extends jspb.Message {
  getCount(): number;
  setCount(value: number): WatchNotesRequest;

  getIntervalMs(): number;
  setIntervalMs(value: number): WatchNotesRequest;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): WatchNotesRequest.AsObject;
  static toObject(includeInstance: boolean, msg: WatchNotesRequest): WatchNotesRequest.AsObject;
  static serializeBinaryToWriter(message: WatchNotesRequest, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): WatchNotesRequest;
  static deserializeBinaryFromReader(message: WatchNotesRequest, reader: jspb.BinaryReader): WatchNotesRequest;
}

export namespace WatchNotesRequest {
  export type AsObject = {
    count: number,
    intervalMs: number,
  }
}

export class WatchNotesResponse extends jspb.Message {
  getSeq(): number;
  setSeq(value: number): WatchNotesResponse;

  getNote(): Note | undefined;
  setNote(value?: Note): WatchNotesResponse;
  hasNote(): boolean;
  clearNote(): WatchNotesResponse;

  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): WatchNotesResponse.AsObject;
  static toObject(includeInstance: boolean, msg: WatchNotesResponse): WatchNotesResponse.AsObject;
  static serializeBinaryToWriter(message: WatchNotesResponse, writer: jspb.BinaryWriter): void;
  static deserializeBinary(bytes: Uint8Array): WatchNotesResponse;
  static deserializeBinaryFromReader(message: WatchNotesResponse, reader: jspb.BinaryReader): WatchNotesResponse;
}

export namespace WatchNotesResponse {
  export type AsObject = {
    seq: number,
    note?: Note.AsObject,
  }
}

