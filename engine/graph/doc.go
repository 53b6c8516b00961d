// Package graph is recsim's Microsoft Graph layer: everything about the
// JSON a bot sends and receives, kept apart from the media core (package
// engine) so that the mock server, the command line and other people's
// mocks share one implementation. It has no HTTP in it.
//
//   - ParseRecordRequest turns a recordResponse (or beta record) body into
//     an engine.RecordRequest, validating every value; a *RequestError
//     names the field, the value sent and what is valid
//     (docs/wire.md#request).
//   - OperationView.Wire renders an operation as the recordOperation
//     resource, with the casing and beta-property switches of Options
//     (docs/wire.md#switches); StatusName spells a status.
//   - Entry and Timeline render engine events as the timeline JSON of the
//     control surface (docs/timeline.md).
//   - NewID makes the lower-case GUIDs Graph uses for calls and
//     operations.
//   - ParseEndOfMedia, ParseHangupPolicy, ParseMode, ParseFault and
//     ParseRecordingStatus read the names the simulation's switches have
//     in flags, per-call options and scenario scripts.
//
// Units: request timeouts are whole seconds, as on the wire; timeline
// entries carry samples and milliseconds.
//
// Buffers: parsers never retain the body they are given; results are new
// values the caller owns.
//
// Concurrency: the package holds no state; every function is safe for
// concurrent use.
package graph
