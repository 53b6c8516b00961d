package picture

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/recsim/recsim/engine"
)

// Size of the PNG in pixels (at 96 dpi).
const (
	Width  = 1600
	Height = 720
	dpi    = 96
)

// The picture's colours: functions returning values, so no caller can
// change them for another.

// ColorPrompt is the outbound prompt's band (lavender).
func ColorPrompt() color.RGBA { return color.RGBA{0xd9, 0xcf, 0xf5, 0xff} }

// ColorBeep is the beep's band (orange).
func ColorBeep() color.RGBA { return color.RGBA{0xff, 0xc8, 0x7a, 0xff} }

// ColorListen is the listening (recording) phase's band (pale green).
func ColorListen() color.RGBA { return color.RGBA{0xe8, 0xf6, 0xe8, 0xff} }

// ColorSpeech marks confirmed speech (green).
func ColorSpeech() color.RGBA { return color.RGBA{0x2e, 0xa0, 0x43, 0xff} }

// ColorSilenceWin is a max-silence window, from E to E + T_m (pale red).
func ColorSilenceWin() color.RGBA { return color.RGBA{0xfb, 0xdc, 0xdc, 0xff} }

// ColorWave is the caller's waveform (slate blue).
func ColorWave() color.RGBA { return color.RGBA{0x3b, 0x5b, 0x92, 0xff} }

// ColorDigit marks a DTMF digit (blue).
func ColorDigit() color.RGBA { return color.RGBA{0x12, 0x4f, 0xe0, 0xff} }

// ColorTimer is a timer's dashed line (grey).
func ColorTimer() color.RGBA { return color.RGBA{0x60, 0x60, 0x60, 0xff} }

// ColorTone marks a digit a tone subscription heard (violet, dashed).
func ColorTone() color.RGBA { return color.RGBA{0x80, 0x30, 0xc0, 0xff} }

// ColorCompletion is the completion line (red).
func ColorCompletion() color.RGBA { return color.RGBA{0xd0, 0x10, 0x10, 0xff} }

// WritePNG draws the timeline picture of an ended operation: the caller's
// waveform with the phases, speech, digits, timers and the completion
// point, and the outbound prompt and beep on a second lane. caller is the
// caller audio from the operation's start.
func WritePNG(w io.Writer, op *engine.Operation, caller []int16) error {
	return WritePNGWithTones(w, op, caller, nil)
}

// WritePNGWithTones is WritePNG with the digits of a tone subscription
// marked too (Scene.AddTones).
func WritePNGWithTones(w io.Writer, op *engine.Operation, caller []int16, tones []engine.CallEvent) error {
	sc := BuildScene(op, len(caller))
	sc.AddTones(op, tones)
	return Render(w, sc, caller, op.Outbound())
}

// Render draws a scene with its audio (caller and outbound, both from the
// operation's start at the scene's rate) as a PNG.
func Render(w io.Writer, sc Scene, caller, outbound []int16) error {
	topPlot := plot.New()
	topPlot.Title.Text = sc.Title
	topPlot.Title.TextStyle.Font.Size = vg.Points(14)
	topPlot.Y.Label.Text = "caller"
	topPlot.Y.Min, topPlot.Y.Max = -1.25, 1.25
	bottom := plot.New()
	bottom.Y.Label.Text = "outbound"
	bottom.Y.Min, bottom.Y.Max = -1.1, 1.1
	bottom.X.Label.Text = "time (s)"
	for _, p := range []*plot.Plot{topPlot, bottom} {
		p.X.Min, p.X.Max = sc.From, sc.To
		p.Y.Tick.Marker = plot.ConstantTicks(nil)
	}

	for _, s := range sc.Spans {
		switch s.Kind {
		case "listen":
			band(topPlot, s.From, s.To, -1.25, 1.25, ColorListen())
		case "maxSilenceWindow":
			band(topPlot, s.From, s.To, -1.25, 1.25, ColorSilenceWin())
		case "prompt":
			band(bottom, s.From, s.To, -1.1, 1.1, ColorPrompt())
		case "beep":
			band(bottom, s.From, s.To, -1.1, 1.1, ColorBeep())
		}
	}
	wave(topPlot, caller, sc.Rate, sc.From, sc.To, 1)
	wave(bottom, outbound, sc.Rate, sc.From, sc.To, 1)
	for _, s := range sc.Spans {
		if s.Kind == "speech" {
			band(topPlot, s.From, s.To, -1.22, -1.08, ColorSpeech())
		}
	}
	var top, bot labelSet
	right := sc.From + 0.75*(sc.To-sc.From) // labels right of this are drawn to the left of their mark
	for _, m := range sc.Marks {
		switch m.Kind {
		case "digit":
			vline(topPlot, m.At, -1.05, 1.05, ColorDigit(), 2, false)
			top.add(m.At, 0.97, m.Label, m.At > right)
		case "tone":
			vline(topPlot, m.At, -1.05, 1.05, ColorTone(), 1, true)
			top.add(m.At, -0.85, m.Label, m.At > right)
		case "initialSilence", "maxRecordDuration":
			vline(topPlot, m.At, -1.25, 1.25, ColorTimer(), 1.5, true)
			top.add(m.At, -1.0, m.Label, m.At > right)
		case "completion":
			vline(topPlot, m.At, -1.25, 1.25, ColorCompletion(), 3, false)
			top.add(m.At, 1.13, m.Label, m.At > right)
		}
	}
	for _, s := range sc.Spans {
		switch s.Kind {
		case "maxSilenceWindow":
			top.add(s.From, 0.85, s.Label, false)
		case "listen":
			top.add(s.From, 1.13, s.Label, false)
		case "prompt", "beep":
			bot.add(s.From, 0.85, s.Label, false)
		}
	}
	if err := top.draw(topPlot); err != nil {
		return err
	}
	if err := bot.draw(bottom); err != nil {
		return err
	}

	img := vgimg.NewWith(vgimg.UseWH(vg.Length(Width)*vg.Inch/dpi, vg.Length(Height)*vg.Inch/dpi), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(14), PadY: vg.Points(4)}
	plots := [][]*plot.Plot{{topPlot}, {bottom}}
	canvases := plot.Align(plots, tiles, dc)
	// The caller lane gets three quarters of the height.
	h := dc.Max.Y - dc.Min.Y
	canvases[0][0].Min.Y = dc.Min.Y + h*0.3
	canvases[1][0].Max.Y = dc.Min.Y + h*0.28
	topPlot.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// band fills the rectangle [x0, x1] × [y0, y1].
func band(p *plot.Plot, x0, x1, y0, y1 float64, c color.Color) {
	if x1 <= x0 {
		return
	}
	poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return
	}
	poly.Color = c
	poly.LineStyle.Width = 0
	p.Add(poly)
}

// vline draws a vertical line at x.
func vline(p *plot.Plot, x, y0, y1 float64, c color.Color, width float64, dashed bool) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return
	}
	l.Color = c
	l.Width = vg.Points(width)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(4)}
	}
	p.Add(l)
}

// wave draws pcm's envelope (min and max per column) between from and to
// seconds, normalised to ±1 at full scale.
func wave(p *plot.Plot, pcm []int16, rate int, from, to float64, scale float64) {
	const cols = 1400
	if len(pcm) == 0 || to <= from {
		return
	}
	upper := make(plotter.XYs, 0, cols)
	lower := make(plotter.XYs, 0, cols)
	per := (to - from) * float64(rate) / cols
	for c := range cols {
		a := int(from*float64(rate) + float64(c)*per)
		b := int(from*float64(rate) + float64(c+1)*per)
		if a >= len(pcm) {
			break
		}
		b = min(max(b, a+1), len(pcm))
		lo, hi := pcm[a], pcm[a]
		for _, s := range pcm[a:b] {
			lo, hi = min(lo, s), max(hi, s)
		}
		x := from + (float64(c)+0.5)*(to-from)/cols
		upper = append(upper, plotter.XY{X: x, Y: scale * float64(hi) / 32768})
		lower = append(lower, plotter.XY{X: x, Y: scale * float64(lo) / 32768})
	}
	pts := make(plotter.XYs, 0, 2*len(upper))
	pts = append(pts, upper...)
	for i := len(lower) - 1; i >= 0; i-- {
		pts = append(pts, lower[i])
	}
	poly, err := plotter.NewPolygon(pts)
	if err != nil {
		return
	}
	poly.Color = ColorWave()
	poly.LineStyle.Width = vg.Points(0.5)
	poly.LineStyle.Color = ColorWave()
	p.Add(poly)
}

// labelSet collects text labels for one plot; each is left-aligned at its
// point, or right-aligned when it would run off the right edge.
type labelSet struct {
	xys    plotter.XYs
	texts  []string
	toLeft []bool
}

func (l *labelSet) add(x, y float64, text string, toLeft bool) {
	l.xys = append(l.xys, plotter.XY{X: x, Y: y})
	l.texts = append(l.texts, text)
	l.toLeft = append(l.toLeft, toLeft)
}

func (l *labelSet) draw(p *plot.Plot) error {
	for _, left := range []bool{false, true} {
		var xys plotter.XYs
		var texts []string
		for i := range l.xys {
			if l.toLeft[i] == left {
				xys = append(xys, l.xys[i])
				texts = append(texts, l.texts[i])
			}
		}
		if len(xys) == 0 {
			continue
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return fmt.Errorf("picture: %w", err)
		}
		lb.Offset = vg.Point{X: vg.Points(3)}
		if left {
			lb.Offset.X = -vg.Points(3)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font.Size = vg.Points(10)
			lb.TextStyle[i].XAlign = draw.XLeft
			if left {
				lb.TextStyle[i].XAlign = draw.XRight
			}
		}
		p.Add(lb)
	}
	return nil
}
