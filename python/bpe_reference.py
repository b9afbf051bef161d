#!/usr/bin/python3
"""Write tests/data/bpe/: a small byte-level BPE tokenizer and the ids it must give.

An independent reference for the C++ byte-level BPE (docs/tokenizers.md): GPT-2's published
encoder algorithm, written out here with the `regex` module (Debian's python3-regex). It learns a
few hundred merges from the text below, writes them in every form the C++ loaders read, and encodes
test texts (contractions, digit runs, whitespace runs, tabs, newlines, accents, CJK, emoji, the
special token) into vectors.json. Everything is deterministic, so a re-run writes identical files.

    /usr/bin/python3 python/bpe_reference.py            # (re)write tests/data/bpe/
    /usr/bin/python3 python/bpe_reference.py --check    # exit 1 if the committed files differ
"""
import argparse
import collections
import json
import os
import sys

import regex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "data", "bpe")

# GPT-2's pre-tokenizer: contractions, letters, digits, other symbols (each with at most one leading
# space), then whitespace, keeping the last space of a run for the word after it.
PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
END_OF_TEXT = "<|endoftext|>"
N_MERGES = 400


def byte_alphabet():
    """Byte -> the printable character that stands for it: printable Latin-1 bytes keep their own
    character, the other 68 bytes take the characters from U+0100 on, in byte order."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
            + list(range(ord("®"), ord("ÿ") + 1)))
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHAR = byte_alphabet()
CHAR_BYTE = {c: b for b, c in BYTE_CHAR.items()}


def to_chars(piece):
    return "".join(BYTE_CHAR[b] for b in piece.encode("utf-8"))


def merge_pair(word, pair):
    """WORD (a tuple of symbols) with every occurrence of PAIR joined, left to right."""
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


class Encoder:
    def __init__(self, vocab, merges, special):
        self.vocab = vocab
        self.rank = {pair: r for r, pair in enumerate(merges)}
        self.special = special  # content -> id, matched in the text before pre-tokenizing
        self.inverse = {i: t for t, i in vocab.items()}

    def bpe(self, chars):
        """Joins the adjacent pair of lowest rank until no adjacent pair has a rank."""
        word = tuple(chars)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.rank.get(p, float("inf")))
            if best not in self.rank:
                break
            word = merge_pair(word, best)
        return word

    def split_special(self, text):
        """(segment, is_special) in order; at each position the longest special token wins."""
        by_length = sorted(self.special, key=len, reverse=True)
        out, start, i = [], 0, 0
        while i < len(text):
            hit = next((s for s in by_length if text.startswith(s, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                out.append((text[start:i], False))
            out.append((hit, True))
            i += len(hit)
            start = i
        if start < len(text):
            out.append((text[start:], False))
        return out

    def encode(self, text):
        ids = []
        for segment, is_special in self.split_special(text):
            if is_special:
                ids.append(self.special[segment])
                continue
            for piece in PATTERN.findall(segment):
                ids.extend(self.vocab[s] for s in self.bpe(to_chars(piece)))
        return ids

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            token = self.inverse[i]
            if token in self.special:
                data += token.encode("utf-8")
            else:
                data += bytes(CHAR_BYTE[c] for c in token)
        return data.decode("utf-8")


def learn_merges(texts, n_merges):
    """Classic BPE training on the pre-tokenized texts: the most frequent adjacent pair becomes the
    next merge (ties to the smallest pair), until N_MERGES or no pair occurs twice."""
    words = collections.Counter()
    for text in texts:
        for piece in PATTERN.findall(text):
            words[tuple(to_chars(piece))] += 1
    merges = []
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for word, n in words.items():
            for i in range(len(word) - 1):
                pairs[(word[i], word[i + 1])] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = collections.Counter()
        for word, n in words.items():
            merged[merge_pair(word, best)] += n
        words = merged
    return merges


def build_vocab(merges):
    """GPT-2's layout: the 256 byte characters in alphabet order, the merged tokens in merge order,
    the end-of-text token last."""
    vocab = {}
    for c in list(BYTE_CHAR.values()):
        vocab.setdefault(c, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab[END_OF_TEXT] = len(vocab)
    return vocab


# What the merges are learned from: every kind of text the vectors test, repeated words so that
# multi-byte characters (accents, CJK, emoji) and whitespace runs get merges of their own.
TRAINING = [
    "The cat sat on the mat. The cat didn't sit; the dog's bowl was there. I'll say it's fine.\n",
    "She's here, we're there, they've gone, I'm sure you'd say we'll see. Don't, won't, can't.\n",
    "Numbers: 1234567890, 2024, 3.14159, 1000000 and 42. Room 101, line 2048, page 99.\n",
    "def encode(text):\n    return [token for token in text]\n\n\tif x == 1:\n\t\treturn 0\n",
    "    indented    four spaces    between    words\n\n\n",
    "Café, naïve, résumé, déjà vu, façade, crème brûlée: élève, été, café au lait.\n",
    "Größe, Straße, schön, über, Mädchen, Ärger, Öl — München ist schön.\n",
    "日本語のテキストです。日本語は難しいです。中文字符，中文文本。日本語と中文。\n",
    "한국어 텍스트 한국어. Emoji: 🙂 🙂 🍕 🍕 👍 👍🏽 ❤️ ❤️ 🙂🙂\n",
] * 3


TEXTS = [
    "don't",
    "I'll be there; she's sure they've won, we're late, I'm here, you'd know.",
    "DON'T shout: O'Neil's rock 'n' roll, ''quoted'' 's",
    "Numbers: 12345 and 3.14159, 2024-06-01, 007, 1000000000000",
    "Fullwidth ０１２３, superscript x² and ½ of Ⅻ",
    "a  b   c    d     e",
    "   leading and trailing   ",
    "tab\tseparated\t\tvalues\t",
    "line one\nline two\n\n\nline five\r\nwindows\r\n",
    " \n \t \n",
    "def encode(text):\n    return [token for token in text]\n",
    "Café naïve résumé Ångström façade crème brûlée",
    "combining e\u0301 and n\u0303 marks",
    "combining \u00e9 and \u00f1 marks",  # the same in NFC, what a tokenizer with NFC encodes
    "Größe Straße schön über Mädchen",
    "日本語のテキスト、中文字符。한국어 텍스트",
    "I ❤️ 🍕! 👍🏽 👩‍👩‍👧 🙂🙂🙂",
    "no-break\u00a0space and ideographic\u3000space",
    "Hello<|endoftext|>World",
    "<|endoftext|><|endoftext|> after two",
    "<|endoftext|",
    "",
    "The cat sat on the mat. The cat didn't sit.",
]


def make(out_dir):
    merges = learn_merges(TRAINING, N_MERGES)
    vocab = build_vocab(merges)
    enc = Encoder(vocab, merges, {END_OF_TEXT: vocab[END_OF_TEXT]})
    vectors = []
    for text in TEXTS:
        ids = enc.encode(text)
        assert enc.decode(ids) == text, text
        vectors.append({"text": text, "ids": ids})
    added = [{"id": vocab[END_OF_TEXT], "content": END_OF_TEXT, "single_word": False,
              "lstrip": False, "rstrip": False, "normalized": False, "special": True}]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": True}

    def hf(merge_list, pre_tokenizer):
        return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                "normalizer": None, "pre_tokenizer": pre_tokenizer,
                "post_processor": byte_level, "decoder": byte_level,
                "model": {"type": "BPE", "dropout": None, "unk_token": None,
                          "continuing_subword_prefix": "", "end_of_word_suffix": "",
                          "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                          "merges": merge_list}}

    def dump(value):
        return json.dumps(value, ensure_ascii=False, indent=1) + "\n"

    return {
        "vocab.json": dump(vocab),
        "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges),
        # Merges as "a b" strings with a plain ByteLevel pre-tokenizer (GPT-2's file), and as
        # ["a", "b"] pairs with ByteLevel inside a Sequence (newer files).
        "tokenizer.json": dump(hf([f"{a} {b}" for a, b in merges], byte_level)),
        "tokenizer_pairs.json": dump(hf([[a, b] for a, b in merges],
                                        {"type": "Sequence", "pretokenizers": [byte_level]})),
        # One vector a line, so a changed id shows as one changed line.
        "vectors.json": "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in vectors)
                        + "\n]\n",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with the files in --out")
    args = parser.parse_args()
    files = make(args.out)
    if args.check:
        stale = []
        for name, text in files.items():
            path = os.path.join(args.out, name)
            if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
                stale.append(name)
        if stale:
            print("differs from a fresh build: " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    merges = files["merges.txt"].count("\n") - 1
    print(f"wrote {len(files)} files to {args.out}: {merges} merges, {len(TEXTS)} vectors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
