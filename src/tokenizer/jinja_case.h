// Unicode case mapping as the oracle's JavaScript engine does it: String.prototype.toUpperCase /
// toLowerCase per code point (full mappings: ß -> SS) and the Cased / Case_Ignorable properties
// that its Final_Sigma rule needs. The data is generated from Node (jinja_case_table.inc).
#pragma once

#include <string>

namespace odma::tokenizer::jinja {

// Appends the upper- (or lower-) case form of one code point, context-free.
void append_case(std::string& out, char32_t cp, bool upper);
bool is_cased(char32_t cp);
bool is_case_ignorable(char32_t cp);

}  // namespace odma::tokenizer::jinja
