#pragma once
// Parallel English/other-language text for the translation probe, read from the gettext
// catalogues that Debian packages install (/usr/share/locale/LANG/LC_MESSAGES/*.mo): every
// message a program prints in English next to its translation. Offline, and on every Debian
// machine, though which catalogues exist depends on the packages installed (the document names
// of a token folder record them).
#include <string>

#include "data/corpus.h"

namespace cs::data {

// Corpus names that stand for something other than a path: "builtin:" (the built-in corpus, so
// it can be mixed with others), "python-source:" (the Python standard library's sources,
// data/default_corpus.h) and "gettext:LANG" (the catalogues of one language).
bool is_named_corpus(const std::string& spec);
Corpus read_named_corpus(const std::string& spec);

// One document per catalogue (named DOMAIN.mo), in byte order of the file names, holding its
// messages as "English: <message>\n<Language>: <translation>\n\n" (Language: French for fr, German
// for de, Spanish for es, else the code). Context prefixes are dropped, plural forms give their
// first form; the header, untranslated messages and translations equal to the message are
// skipped, and so are catalogues not in UTF-8. A malformed catalogue is a cs::Error naming it.
Corpus read_gettext_corpus(const std::string& lang, const std::string& locale_root = "/usr/share/locale");

}  // namespace cs::data
