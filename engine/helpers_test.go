package engine_test

import (
	"encoding/json"
	"io"
)

func jsonEncode(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
