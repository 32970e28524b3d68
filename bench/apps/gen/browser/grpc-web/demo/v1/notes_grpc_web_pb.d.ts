import * as grpcWeb from 'grpc-web';

import * as demo_v1_notes_pb from '../../demo/v1/notes_pb';


export class NotesServiceClient {
  constructor (hostname: string,
               credentials?: null | { [index: string]: string; },
               options?: null | { [index: string]: any; });

  whoAmI(
    request: demo_v1_notes_pb.WhoAmIRequest,
    metadata: grpcWeb.Metadata | undefined,
    callback: (err: grpcWeb.RpcError,
               response: demo_v1_notes_pb.WhoAmIResponse) => void
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.WhoAmIResponse>;

  listNotes(
    request: demo_v1_notes_pb.ListNotesRequest,
    metadata: grpcWeb.Metadata | undefined,
    callback: (err: grpcWeb.RpcError,
               response: demo_v1_notes_pb.ListNotesResponse) => void
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.ListNotesResponse>;

  getNote(
    request: demo_v1_notes_pb.GetNoteRequest,
    metadata: grpcWeb.Metadata | undefined,
    callback: (err: grpcWeb.RpcError,
               response: demo_v1_notes_pb.GetNoteResponse) => void
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.GetNoteResponse>;

  createNote(
    request: demo_v1_notes_pb.CreateNoteRequest,
    metadata: grpcWeb.Metadata | undefined,
    callback: (err: grpcWeb.RpcError,
               response: demo_v1_notes_pb.CreateNoteResponse) => void
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.CreateNoteResponse>;

  purgeNotes(
    request: demo_v1_notes_pb.PurgeNotesRequest,
    metadata: grpcWeb.Metadata | undefined,
    callback: (err: grpcWeb.RpcError,
               response: demo_v1_notes_pb.PurgeNotesResponse) => void
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.PurgeNotesResponse>;

  watchNotes(
    request: demo_v1_notes_pb.WatchNotesRequest,
    metadata?: grpcWeb.Metadata
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.WatchNotesResponse>;

}

export class NotesServicePromiseClient {
  constructor (hostname: string,
               credentials?: null | { [index: string]: string; },
               options?: null | { [index: string]: any; });

  whoAmI(
    request: demo_v1_notes_pb.WhoAmIRequest,
    metadata?: grpcWeb.Metadata
  ): Promise<demo_v1_notes_pb.WhoAmIResponse>;

  listNotes(
    request: demo_v1_notes_pb.ListNotesRequest,
    metadata?: grpcWeb.Metadata
  ): Promise<demo_v1_notes_pb.ListNotesResponse>;

  getNote(
    request: demo_v1_notes_pb.GetNoteRequest,
    metadata?: grpcWeb.Metadata
  ): Promise<demo_v1_notes_pb.GetNoteResponse>;

  createNote(
    request: demo_v1_notes_pb.CreateNoteRequest,
    metadata?: grpcWeb.Metadata
  ): Promise<demo_v1_notes_pb.CreateNoteResponse>;

  purgeNotes(
    request: demo_v1_notes_pb.PurgeNotesRequest,
    metadata?: grpcWeb.Metadata
  ): Promise<demo_v1_notes_pb.PurgeNotesResponse>;

  watchNotes(
    request: demo_v1_notes_pb.WatchNotesRequest,
    metadata?: grpcWeb.Metadata
  ): grpcWeb.ClientReadableStream<demo_v1_notes_pb.WatchNotesResponse>;

}

