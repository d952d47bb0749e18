#!/usr/bin/env python3
"""Writes the tokenizer comparison corpus (fixtures/tokenizer_corpus/*.txt), deterministically.

Run from the repository root: python3 tests/tokenizer_js/make_corpus.py
Sources: the repository's own docs (English prose) and sources (code), the text-trained fixture's eval text,
a seeded word-level Markov chain over those docs (more prose), and generated text for the other categories
(CJK, Arabic, emoji/ZWJ, combining marks, whitespace runs, special-token strings, invalid UTF-8, random code
points). The committed output is the corpus; re-running on a later tree gives different prose/code files.
"""
import glob
import os
import random

OUT = "fixtures/tokenizer_corpus"
rng = random.Random(20261207)


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def read_all(patterns):
    text = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            with open(path, encoding="utf-8") as f:
                text.append(f.read())
    return text


def markov_prose(source, words_wanted):
    words = source.split()
    chain = {}
    for a, b, c in zip(words, words[1:], words[2:]):
        chain.setdefault((a, b), []).append(c)
    keys = sorted(chain)
    state = rng.choice(keys)
    out = list(state)
    while len(out) < words_wanted:
        nxt = chain.get(state)
        if not nxt:
            state = rng.choice(keys)
            out.append("\n\n")
            out.extend(state)
            continue
        word = rng.choice(nxt)
        out.append(word)
        state = (state[1], word)
    return " ".join(out).replace(" \n\n ", "\n\n")


CJK = [
    "自然语言处理是人工智能的一个重要分支。", "今天天气很好，我们去公园散步吧。", "这个模型在手机上运行得很快。",
    "東京は日本の首都です。", "私は毎朝コーヒーを飲みます。", "量子化されたモデルはデバイス上で動きます。",
    "ひらがなとカタカナと漢字を混ぜて書きます。", "한국어 문장도 토큰화해야 합니다.", "서울은 대한민국의 수도입니다.",
    "機械学習（きかいがくしゅう）", "「引用」と『二重引用』", "全角数字１２３と半角123",
]
ARABIC = [
    "مرحبا بالعالم، هذه جملة عربية للاختبار.", "اللغة العربية تكتب من اليمين إلى اليسار.",
    "الذكاء الاصطناعي يغير العالم.", "نموذج صغير يعمل على الهاتف.", "الأرقام العربية: ٠١٢٣٤٥٦٧٨٩",
    "كتب الطالبُ الدرسَ بعنايةٍ.", "שלום עולם, זה משפט בעברית.", "فارسی: سلام دنیا، حالت چطوره؟",
]
EMOJI = [
    "👍", "👍🏽", "👨‍👩‍👧‍👦", "🧑🏿‍💻", "🏳️‍🌈", "🇯🇵", "🇺🇸", "1️⃣", "❤️", "🤷‍♀️", "👩‍❤️‍💋‍👨", "🐈‍⬛",
    "😀", "🙃", "🫠", "🦀", "✨", "🔥", "🎉", "☕", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
]
COMBINING = [
    "e\u0301", "a\u0300\u0323", "n\u0303", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324",
    "क्षत्रिय", "नमस्ते दुनिया", "ภาษาไทย", "שָׁלוֹם", "Å", "A\u030a", "ﬁ", "ǅ", "Ω", "\u1e9b\u0323",
]
SPECIAL = [
    "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "[multimodal]", "<start_of_turn>", "<end_of_turn>",
    "<start_of_image>", "<end_of_image>", "<image_soft_token>", "<unused0>", "<unused99>", "<unused6241>",
    "<start_of_tur", "<<bos>>", "<bos><bos>", "< bos>", "<BOS>", "<0x41>", "<0xZZ>", "</s>", "<|turn>",
]


def mix(pieces, count, separators):
    return "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(count))


def whitespace_runs():
    parts = []
    for _ in range(3000):
        run = "".join(rng.choice([" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009"]) for _ in range(rng.randint(1, 40)))
        parts.append(rng.choice(["word", "x", "if (a)", "Hello", "—", "1", ""]) + run)
    parts.append(" " * 300 + "end" + "\t" * 100 + "end" + "\n" * 200)
    return "".join(parts)


def invalid_utf8():
    bad = [b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xf5", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", b"\xe2\x28\xa1", b"\xf8\x88\x80\x80\x80"]
    good = [b"text ", b"caf\xc3\xa9 ", b"\xe2\x82\xac ", b"\xf0\x9f\x98\x80 ", b"abc", b" "]
    out = bytearray()
    for _ in range(6000):
        out += rng.choice(bad) if rng.random() < 0.4 else rng.choice(good)
    return bytes(out)


def random_code_points(count):
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
              (0x1F300, 0x1FAFF), (0xE000, 0xE0FF), (0x10000, 0x1007F), (0x20000, 0x2A6DF), (0xFFF0, 0xFFFD)]
    chars = []
    for _ in range(count):
        lo, hi = rng.choice(ranges)
        chars.append(chr(rng.randint(lo, hi)))
    return "".join(chars)


def main():
    os.makedirs(OUT, exist_ok=True)
    docs = read_all(["README.md", "docs/**/*.md"])
    write("prose_docs.txt", "\n\n".join(docs))
    with open("fixtures/gemma4/text-trained/eval.txt", encoding="utf-8") as f:
        write("prose_eval.txt", f.read())
    write("prose_markov.txt", markov_prose(" ".join(docs), 60000))
    code = read_all(["core/*.cpp", "core/*.h", "quant/*.cpp", "readers/*.cpp", "writers/*.cpp", "scripts/*.sh"])
    write("code.txt", "\n".join(code)[:450000])
    write("cjk.txt", mix(CJK, 2500, ["", " ", "\n", "。"]) + random_code_points(0))
    write("arabic.txt", mix(ARABIC, 1500, [" ", "\n", "، "]))
    write("emoji_zwj.txt", mix(EMOJI, 5000, ["", " ", "\u200d", "\ufe0f", " and ", "\n"]))
    write("combining.txt", mix(COMBINING, 4000, ["", " ", "\u0301", "\n"]))
    write("whitespace.txt", whitespace_runs())
    write("special_tokens.txt", mix(SPECIAL, 4000, ["", " ", "text", "\n", " and <", ">"]))
    write("invalid_utf8.txt", invalid_utf8())
    write("random_code_points.txt", random_code_points(20000))
    write("long_word.txt", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(60000)))
    write("empty.txt", "")


if __name__ == "__main__":
    main()
