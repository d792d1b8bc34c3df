package modlib

import (
	"encoding/json"
	"fmt"
)

// BlockParams is rust_circuit's TransformerBlockParams.
type BlockParams struct {
	NormType            *string `json:"norm_type"`
	AttnBias            bool    `json:"attn_bias"`
	AttnPos             bool    `json:"attn_pos"`
	UseMLP              bool    `json:"use_mlp"`
	MLPActType          string  `json:"mlp_act_type"`
	MLPOutputBias       bool    `json:"mlp_output_bias"`
	UseParallelResidual bool    `json:"use_parallel_residual"`
	UseRope             bool    `json:"use_rope"`
}

// TransformerParams is rust_circuit's TransformerParams.
type TransformerParams struct {
	BlockParams   BlockParams `json:"block_params"`
	NumLayers     int         `json:"num_layers"`
	UseNormOutput bool        `json:"use_norm_output"`
	OutputBias    bool        `json:"output_bias"`
}

// TransformerInfo is the `# info:` JSON header of a model file.
type TransformerInfo struct {
	Params     TransformerParams `json:"params"`
	ModelClass string            `json:"model_class"`
	PosEncType *string           `json:"pos_enc_type"`
	CausalMask *bool             `json:"causal_mask"`
	Extra      json.RawMessage   `json:"extra"`
}

// DefaultParams are rust_circuit's defaults (ln, gelu MLP, two layers).
func DefaultParams() TransformerParams {
	ln := "ln"
	return TransformerParams{BlockParams: BlockParams{NormType: &ln, UseMLP: true, MLPActType: "gelu"}, NumLayers: 2, UseNormOutput: true}
}

// ParseInfo reads an `# info:` JSON object; missing fields take
// rust_circuit's defaults.
func ParseInfo(js string) (TransformerInfo, error) {
	info := TransformerInfo{Params: DefaultParams(), ModelClass: "GPTBeginEndToks"}
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		return TransformerInfo{}, fmt.Errorf("bad # info JSON: %w", err)
	}
	return info, info.Params.Validate()
}

// Validate refuses what the library cannot build, naming the field.
func (p TransformerParams) Validate() error {
	b := p.BlockParams
	if b.NormType != nil && *b.NormType != "ln" && *b.NormType != "bn" {
		return fmt.Errorf("unknown norm_type %q (want ln, bn or null)", *b.NormType)
	}
	switch b.MLPActType {
	case "gelu", "gelu_new", "relu", "bilinear":
	default:
		return fmt.Errorf("unknown mlp_act_type %q (want gelu, gelu_new, relu or bilinear)", b.MLPActType)
	}
	if b.UseParallelResidual {
		return fmt.Errorf("use_parallel_residual blocks are not supported by circopt's module library")
	}
	if b.UseRope {
		return fmt.Errorf("use_rope blocks are not supported by circopt's module library")
	}
	if p.NumLayers < 0 || p.NumLayers > 1000 {
		return fmt.Errorf("num_layers %d out of range", p.NumLayers)
	}
	return nil
}
