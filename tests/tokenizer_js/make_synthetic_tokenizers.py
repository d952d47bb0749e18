#!/usr/bin/env python3
"""Writes small synthetic tokenizer.json + tokenizer_config.json files into a few tiny fixtures, so the text
paths of the CLI (tokenize, run --prompt/--chat, bundles carrying the tokenizer) run end to end without npm.

Run from the repository root: python3 tests/tokenizer_js/make_synthetic_tokenizers.py
Ids follow each fixture's config.json: pad/eos/bos from it, unk = 3, the multimodal placeholder ids get
Gemma-4-style names, the turn tokens come next, then the 256 byte tokens, then "▁", letters and common English
words built by merges, then <unusedN> up to the vocab size. The component types are those of the real Gemma tokenizers.
"""
import json

SPACE = "\u2581"
WORDS = ("the and of to in is that it for you was with on as have be at not this but by from they we say her she "
         "or an will my one all would there their what so up out if about who get which go me when make can like "
         "time no just him know take people into year your good some could them see other than then now look only "
         "come its over think also back after use two how our work first well way even new want because any these "
         "give day most us model token text hello world").split()
FORMATS = {
    "gemma4": ("<|turn>", "<turn|>"),
    "gemma3": ("<start_of_turn>", "<end_of_turn>"),
}
TEMPLATES = {
    # A minimal template in each turn format (the checkpoints' own templates do more: system turns, tools, media).
    "gemma4": "{{ bos_token }}{% for m in messages %}{{ '<|turn>' + ('model' if m['role'] == 'assistant' else m['role']) "
              "+ '\\n' + (m['content'] | trim) + '<turn|>\\n' }}{% endfor %}"
              "{% if add_generation_prompt %}{{ '<|turn>model\\n' }}{% endif %}",
    "gemma3": "{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' else "
              "m['role']) + '\\n' + (m['content'] | trim) + '<end_of_turn>\\n' }}{% endfor %}"
              "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}",
}
PLACEHOLDERS = {"boi_token_id": "<|image>", "eoi_token_id": "<image|>", "image_token_id": "<|image|>",
                "video_token_id": "<|video|>", "boa_token_id": "<|audio>", "eoa_token_index": "<audio|>",
                "eoa_token_id": "<audio|>", "audio_token_id": "<|audio|>"}


def added(token_id, content, special=True):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}


def build(fixture, chat_format):
    config = json.load(open(f"fixtures/gemma4/{fixture}/config.json"))
    text = config.get("text_config", config)
    vocab_size = text["vocab_size"]
    named = {text["pad_token_id"]: "<pad>", text["eos_token_id"]: "<eos>", text["bos_token_id"]: "<bos>", 3: "<unk>"}
    for key, name in PLACEHOLDERS.items():
        if isinstance(config.get(key), int):
            named[config[key]] = name
    free = (i for i in range(vocab_size) if i not in named)
    turn_open, turn_close = FORMATS[chat_format]
    named[next(free)] = turn_open
    named[next(free)] = turn_close
    vocab = {name: i for i, name in named.items()}
    for b in range(256):
        vocab["<0x%02X>" % b] = next(free)
    merges = []

    def add_piece(piece):
        if piece in vocab:
            return True
        try:
            vocab[piece] = next(free)
            return True
        except StopIteration:
            return False

    for ch in [SPACE] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + list(".,!?'"):
        add_piece(ch)
    for word in WORDS:
        current = SPACE
        for ch in word:
            if current + ch not in vocab and not add_piece(current + ch):
                break
            if [current, ch] not in merges:
                merges.append([current, ch])
            current += ch
    for i in free:  # every id names a token, so any generated id decodes (Gemma pads with <unusedN> too)
        vocab[f"<unused{i}>"] = i
    special_tokens = sorted(named.items())
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(i, name) for i, name in special_tokens],
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": SPACE},
        "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<bos>": {"id": "<bos>", "ids": [vocab["<bos>"]], "tokens": ["<bos>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": dict(sorted(vocab.items(), key=lambda kv: kv[1])), "merges": merges},
    }
    assert max(vocab.values()) < vocab_size
    tokenizer_config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>", "eos_token": "<eos>",
                        "pad_token": "<pad>", "unk_token": "<unk>", "tokenizer_class": "GemmaTokenizerFast",
                        "chat_template": TEMPLATES[chat_format]}
    with open(f"fixtures/gemma4/{fixture}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
    with open(f"fixtures/gemma4/{fixture}/tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer_config, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    build("sample", "gemma4")
    build("text-kveqv", "gemma3")
    build("mm", "gemma4")
