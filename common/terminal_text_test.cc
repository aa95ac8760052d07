#include "common/terminal_text.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace common {
namespace {

TEST(TerminalSafeTest, PrintableAsciiAndOtherUtf8PassUnchanged) {
  EXPECT_EQ(TerminalSafe("app/db/password@7 i-0abc"),
            "app/db/password@7 i-0abc");
  // é, 日本, an emoji (4 bytes), U+00A0 and U+FFFD.
  const std::string text =
      "\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91 \xc2\xa0 "
      "\xef\xbf\xbd";
  EXPECT_EQ(TerminalSafe(text), text);
}

TEST(TerminalSafeTest, C0ControlsAndDelAreHexEscapes) {
  EXPECT_EQ(TerminalSafe("a\x1b[2Jb\tc\x7f\r\n"),
            "a\\x1b[2Jb\\x09c\\x7f\\x0d\\x0a");
  EXPECT_EQ(TerminalSafe(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(TerminalSafe("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
}

TEST(TerminalSafeTest, C1ControlsAsRawBytesAreHexEscapes) {
  // 0x9b is CSI on terminals that take 8-bit controls; 0x90 DCS, 0x9d OSC.
  EXPECT_EQ(TerminalSafe("a\x9b"
                         "31mb\x90\x9d\x80\x9f"),
            "a\\x9b31mb\\x90\\x9d\\x80\\x9f");
}

TEST(TerminalSafeTest, C1ControlsEncodedAsUtf8AreCodePointEscapes) {
  EXPECT_EQ(TerminalSafe("x\xc2\x9b"
                         "1m"),
            "x\\u{009B}1m");
  EXPECT_EQ(TerminalSafe("\xc2\x80\xc2\x9f\xc2\xa0"),
            "\\u{0080}\\u{009F}\xc2\xa0");
}

TEST(TerminalSafeTest, BidiAndInvisibleFormatCharactersAreCodePointEscapes) {
  // RLO U+202E, LRE U+202A, PDF U+202C, LRI U+2066, PDI U+2069, LRM U+200E,
  // RLM U+200F, ALM U+061C, ZWSP U+200B, BOM U+FEFF, tag U+E0041.
  EXPECT_EQ(TerminalSafe("i-\xe2\x80\xae"
                         "cba"),
            "i-\\u{202E}cba");
  EXPECT_EQ(TerminalSafe("\xe2\x80\xaa\xe2\x80\xac\xe2\x81\xa6\xe2\x81\xa9"),
            "\\u{202A}\\u{202C}\\u{2066}\\u{2069}");
  EXPECT_EQ(TerminalSafe("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"),
            "\\u{200E}\\u{200F}\\u{061C}");
  EXPECT_EQ(TerminalSafe("\xe2\x80\x8b\xef\xbb\xbf\xf3\xa0\x81\x81"),
            "\\u{200B}\\u{FEFF}\\u{E0041}");
}

TEST(TerminalSafeTest, InvalidUtf8IsHexEscapedBytePerByte) {
  // A lone continuation byte, a truncated sequence, an overlong "/", a
  // UTF-8 encoded surrogate, a code point above U+10FFFF, 0xff.
  EXPECT_EQ(TerminalSafe("\xa9"), "\\xa9");
  EXPECT_EQ(TerminalSafe("\xe2\x80"), "\\xe2\\x80");
  EXPECT_EQ(TerminalSafe("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(TerminalSafe("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(TerminalSafe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(TerminalSafe("a\xff"
                         "b"),
            "a\\xffb");
}

TEST(TerminalSafeTest, EveryUnsafeClassIsRecognised) {
  for (uint32_t cp :
       {0x00u,   0x1Fu,   0x7Fu,   0x80u,    0x9Fu,    0xADu,
        0x61Cu,  0x180Eu, 0x200Bu, 0x200Eu,  0x200Fu,  0x2028u,
        0x2029u, 0x202Au, 0x202Eu, 0x2060u,  0x2066u,  0x2069u,
        0x206Fu, 0xFEFFu, 0xFFF9u, 0xE0001u, 0xE0020u, 0xE007Fu}) {
    EXPECT_TRUE(IsUnsafeCodePoint(cp)) << std::hex << cp;
  }
  for (uint32_t cp : {0x20u, 0x7Eu, 0xA0u, 0xE9u, 0x2010u, 0x2030u, 0x2070u,
                      0xFFFDu, 0x1F511u, 0xE0080u}) {
    EXPECT_FALSE(IsUnsafeCodePoint(cp)) << std::hex << cp;
  }
}

TEST(TerminalSafeJsonTest, SafeJsonIsUnchangedByteForByte) {
  const std::string line =
      "{\"seq\":1,\"subject\":\"i-\xc3\xa9\",\"m\":\"a\\\"b\\\\\\u001b\"}";
  EXPECT_EQ(TerminalSafeJson(line), line);
  const std::string pretty = "{\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}";
  EXPECT_EQ(TerminalSafeJson(pretty), pretty);
}

TEST(TerminalSafeJsonTest, UnsafeCharactersInStringsBecomeJsonEscapes) {
  EXPECT_EQ(TerminalSafeJson("{\"s\":\"a\x7f"
                             "b\"}"),
            "{\"s\":\"a\\u007fb\"}");
  EXPECT_EQ(TerminalSafeJson("{\"s\":\"\xc2\x9b"
                             "31m\"}"),
            "{\"s\":\"\\u009b31m\"}");
  EXPECT_EQ(TerminalSafeJson("{\"s\":\"i-\xe2\x80\xae"
                             "cba\xe2\x81\xa6\"}"),
            "{\"s\":\"i-\\u202ecba\\u2066\"}");
  // Above U+FFFF: a surrogate pair.
  EXPECT_EQ(TerminalSafeJson("[\"\xf3\xa0\x81\x81\"]"), "[\"\\udb40\\udc41\"]");
  // Raw controls are not valid JSON, but are escaped all the same.
  EXPECT_EQ(TerminalSafeJson("[\"a\x1b[2J\"]"), "[\"a\\u001b[2J\"]");
}

TEST(TerminalSafeJsonTest, InvalidUtf8InStringsBecomesTheReplacementCharacter) {
  EXPECT_EQ(TerminalSafeJson("[\"a\x9b"
                             "b\xff\"]"),
            "[\"a\\ufffdb\\ufffd\"]");
}

TEST(TerminalSafeJsonTest, WhitespaceOutsideStringsIsPlainSpace) {
  EXPECT_EQ(TerminalSafeJson("{\"a\":\t1,\r\"b\":2}\x1b"),
            "{\"a\": 1, \"b\":2} ");
}

TEST(TerminalSafeJsonTest, TheValueStaysTheSame) {
  const std::string line =
      "{\"subject\":\"i-\xe2\x80\xae"
      "cba\",\"n\":[1,\"\xc2\x9b\"],\"d\":\"\x7f\",\t\"k\":"
      "\"\xf3\xa0\x81\x81\"}";
  const nlohmann::json before = nlohmann::json::parse(line);
  const std::string safe = TerminalSafeJson(line);
  const nlohmann::json after = nlohmann::json::parse(safe);
  EXPECT_EQ(before, after);
  EXPECT_EQ(TerminalSafe(safe), safe);  // nothing unsafe is left
}

}  // namespace
}  // namespace common
