package engine_test

import (
	"testing"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

// BenchmarkOperation runs the full pipeline (DTMF + VAD + beep + recording
// to memory) over speech with pauses at 8 kHz in 20 ms frames.
func BenchmarkOperation(b *testing.B) {
	talk := speech(b, "en_us_s160_01", "en_gb_f2_s140_04", "en_m7_s170_03", "en_us_f3_s150_02")
	caller := media.Concat(media.Silence(beep+sec(0.5)), talk, media.Silence(sec(1)), talk, media.Silence(sec(1)), talk)
	req := request(b, `{"maxRecordDurationInSeconds": 120, "maxSilenceTimeoutInSeconds": 5, "stopTones": ["#"]}`)
	opts := engine.DefaultOptions(rate)
	opts.Cache = engine.NewCache(0) // as a server shares beeps between operations
	b.SetBytes(int64(2 * len(caller)))
	b.ReportAllocs()
	var samples int64
	for b.Loop() {
		op, _ := engine.NewOperation(req, nil, opts, 0)
		for i := 0; i < len(caller) && !op.Done(); i += 160 {
			op.Process(caller[i:min(i+160, len(caller))])
		}
		samples += int64(len(caller))
	}
	sps := float64(samples) / b.Elapsed().Seconds()
	b.ReportMetric(sps, "samples/s")
	b.ReportMetric(sps/float64(rate), "x-realtime")
}
