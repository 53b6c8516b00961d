// Package scenario builds a caller's audio from a JSON script and runs one
// record operation on it. Fixtures, `recsim gen`, `recsim demo` and the
// mock server use it.
//
// # Format
//
//	{
//	  "name": "caller speaks, pauses, presses #",
//	  "rate": 8000,                       // caller stream rate (default 16000)
//	  "request": { ...recordResponse body exactly as a bot POSTs it... },
//	  "options": {                        // simulation switches (all optional)
//	    "stopTonesDuringPrompt": true, "includeStopTone": false, "trimSilence": false,
//	    "beepEcho": false, "beepHz": 1000, "beepMs": 400, "beepLevel": -10,
//	    "endOfMedia": "silence",          // silence | hangup | stall
//	    "docsCasing": false, "strictV1": false,
//	    "fault": ""                       // playPromptFailed | playBeepFailed | unspecifiedError
//	  },
//	  "caller": [                         // segments, one after another
//	    {"silence": 1.5},                                 // seconds of digital silence
//	    {"speech": "en_us_s160_01", "level": -20},        // a clip of fixtures/speech (level: dBFS, optional)
//	    {"dtmf": "#", "seconds": 0.1, "gap": 0.1, "level": -10, "twist": 0},
//	    {"tone": 1000, "seconds": 0.4, "level": -10},
//	    {"noise": "pink", "seconds": 2, "level": -50, "seed": 1},
//	    {"wav": "caller.wav"},                            // relative to the scenario file
//	    {"hangup": true}                                  // the caller hangs up (last segment)
//	  ],
//	  "background": {"noise": "white", "snr": 10, "seed": 7}, // or "level": -45
//	  "frame": 160                        // samples per frame fed to the engine (default 20 ms)
//	}
//
// A prompt's mediaInfo.uri may be a path relative to the scenario file, a
// file:// URI, or fixture:NAME (a speech clip played as a 16 kHz prompt).
//
// Units: seconds in the JSON, samples inside. Buffers: Build returns a new
// track owned by the caller. Concurrency: a Scenario is read-only once
// parsed and safe to Run from several goroutines.
package scenario
