// GPT-2 "byte-level" alphabet: every byte 0..255 is shown as one printable Unicode character, so a
// BPE vocabulary over bytes can be stored as ordinary JSON strings ("Ġ" is the space byte 0x20).
//
// Mapping (GPT-2 bytes_to_unicode): the 188 printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' map to the
// code point of the same value; the other 68 bytes map, in byte order, to U+0100, U+0101, ...
// Invariant: byte_level_decode(byte_level_char(b)) == {b} for every byte b.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace odma::tokenizer {

// UTF-8 of the character that stands for `byte` (2 bytes at most).
std::string_view byte_level_char(unsigned char byte);

// Bytes spelled by a byte-level token ("Ġthe" -> " the"); nullopt if a character is outside the
// 256-character alphabet (such tokens are decoded verbatim by the caller, as Hugging Face does).
std::optional<std::string> byte_level_decode(std::string_view token);

}  // namespace odma::tokenizer
