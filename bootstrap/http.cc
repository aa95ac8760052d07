#include "bootstrap/http.h"

#include <arpa/inet.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "keys/secret_bytes.h"

namespace bootstrap {
namespace {

constexpr size_t kMaxChunkLineBytes = 256;

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed HTTP response: ", why));
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

// Field values and reason phrases: visible ASCII, space, tab and obs-text.
bool IsFieldText(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool IsUrlChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '#';
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.';
}

absl::StatusOr<std::optional<HttpResponse>> Incomplete(bool at_eof,
                                                       absl::string_view what) {
  if (at_eof) {
    return Malformed(
        absl::StrCat("the connection closed in the middle of ", what));
  }
  return std::optional<HttpResponse>();
}

absl::StatusOr<std::optional<std::string>> DecodeChunkedInto(
    absl::string_view in, size_t max_body, std::string& out);

// Decodes a chunked body. nullopt: more bytes needed. The body may be a
// credential: partial results are wiped.
absl::StatusOr<std::optional<std::string>> DecodeChunked(absl::string_view in,
                                                         size_t max_body) {
  std::string out;
  auto result = DecodeChunkedInto(in, max_body, out);
  keys::WipeString(&out);
  return result;
}

absl::StatusOr<std::optional<std::string>> DecodeChunkedInto(
    absl::string_view in, size_t max_body, std::string& out) {
  size_t pos = 0;
  while (true) {
    const size_t eol = in.find("\r\n", pos);
    if (eol == absl::string_view::npos) {
      if (in.size() - pos > kMaxChunkLineBytes) {
        return Malformed("chunk size line too long");
      }
      return std::optional<std::string>();
    }
    if (eol - pos > kMaxChunkLineBytes) {
      return Malformed("chunk size line too long");
    }
    absl::string_view line = in.substr(pos, eol - pos);
    absl::string_view size_text = line.substr(0, line.find(';'));
    if (!IsFieldText(line)) return Malformed("control character in chunk line");
    if (size_text.empty() || size_text.size() > 8) {
      return Malformed("bad chunk size");
    }
    uint64_t size = 0;
    for (char c : size_text) {
      if (!absl::ascii_isxdigit(c)) return Malformed("bad chunk size");
      size = size * 16 +
             static_cast<uint64_t>(absl::ascii_isdigit(c)
                                       ? c - '0'
                                       : absl::ascii_tolower(c) - 'a' + 10);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      size_t trailer_bytes = 0;
      while (true) {
        const size_t end = in.find("\r\n", pos);
        if (end == absl::string_view::npos) {
          if (in.size() - pos > kMaxHttpHeaderBytes) {
            return absl::ResourceExhaustedError(
                "HTTP response trailers too large");
          }
          return std::optional<std::string>();
        }
        absl::string_view field = in.substr(pos, end - pos);
        pos = end + 2;
        if (field.empty()) break;
        trailer_bytes += field.size() + 2;
        if (trailer_bytes > kMaxHttpHeaderBytes) {
          return absl::ResourceExhaustedError(
              "HTTP response trailers too large");
        }
        const size_t colon = field.find(':');
        if (colon == 0 || colon == absl::string_view::npos ||
            !IsFieldText(field)) {
          return Malformed("bad trailer field");
        }
        for (char c : field.substr(0, colon)) {
          if (!IsTokenChar(c)) return Malformed("bad trailer field name");
        }
      }
      if (pos != in.size()) return Malformed("bytes after the last chunk");
      return std::optional<std::string>(std::move(out));
    }
    if (out.size() + size > max_body) {
      return absl::ResourceExhaustedError(
          absl::StrCat("HTTP response body larger than ", max_body, " bytes"));
    }
    if (in.size() - pos < size + 2) {
      // Check what has arrived of the data's CRLF.
      if (in.size() - pos > size && in[pos + size] != '\r') {
        return Malformed("chunk data not followed by CRLF");
      }
      return std::optional<std::string>();
    }
    if (in.substr(pos + size, 2) != "\r\n") {
      return Malformed("chunk data not followed by CRLF");
    }
    out.append(in.data() + pos, size);
    pos += size + 2;
  }
}

}  // namespace

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", text.substr(0, 128), "\" ", why));
  };
  Url url;
  absl::string_view rest = text;
  if (absl::StartsWithIgnoreCase(rest, "http://")) {
    url.scheme = "http";
    url.port = 80;
    rest.remove_prefix(7);
  } else if (absl::StartsWithIgnoreCase(rest, "https://")) {
    url.scheme = "https";
    url.port = 443;
    rest.remove_prefix(8);
  } else {
    return bad("must start with http:// or https://");
  }
  for (char c : rest) {
    if (!IsUrlChar(c)) {
      return bad(
          "has a space, a control character, a non-ASCII byte or a "
          "fragment ('#')");
    }
  }
  const size_t auth_end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, auth_end);
  absl::string_view path =
      auth_end == absl::string_view::npos ? "" : rest.substr(auth_end);
  if (authority.find('@') != absl::string_view::npos) {
    return bad("has user information ('@'); it is not supported");
  }
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return bad("has an unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    in6_addr v6;
    if (inet_pton(AF_INET6, url.host.c_str(), &v6) != 1) {
      return bad("has a bad IPv6 address");
    }
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("has an empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("has an empty port");
    }
    if (url.host.empty()) return bad("has no host");
    for (char c : url.host) {
      if (!IsHostNameChar(c)) return bad("has a bad host name");
    }
  }
  if (!port_text.empty()) {
    int port = 0;
    bool digits = port_text.size() <= 5;
    for (char c : port_text) digits = digits && absl::ascii_isdigit(c);
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port < 1 ||
        port > 65535) {
      return bad("has a bad port");
    }
    url.port = port;
  }
  url.path = std::string(path);
  if (url.path.empty() || url.path[0] != '/') url.path.insert(0, "/");
  return url;
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out += c;
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

Url WithQueryParameters(
    Url url,
    const std::vector<std::pair<std::string, std::string>>& parameters) {
  for (const auto& [name, value] : parameters) {
    const char last = url.path.back();
    if (url.path.find('?') == std::string::npos) {
      url.path += '?';
    } else if (last != '?' && last != '&') {
      url.path += '&';
    }
    absl::StrAppend(&url.path, PercentEncode(name), "=", PercentEncode(value));
  }
  return url;
}

std::string FormatGetRequest(
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string host = url.host.find(':') != std::string::npos
                         ? absl::StrCat("[", url.host, "]")
                         : url.host;
  const int default_port = url.scheme == "https" ? 443 : 80;
  if (url.port != default_port) absl::StrAppend(&host, ":", url.port);
  std::string out =
      absl::StrCat("GET ", url.path, " HTTP/1.1\r\nHost: ", host, "\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&out, "Connection: close\r\n\r\n");
  return out;
}

absl::StatusOr<std::optional<HttpResponse>> ParseHttpResponse(
    absl::string_view data, bool at_eof, size_t max_body) {
  const size_t header_end = data.find("\r\n\r\n");
  if (header_end == absl::string_view::npos) {
    if (data.size() > kMaxHttpHeaderBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "HTTP response headers larger than ", kMaxHttpHeaderBytes, " bytes"));
    }
    return Incomplete(at_eof, "the headers");
  }
  if (header_end + 4 > kMaxHttpHeaderBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "HTTP response headers larger than ", kMaxHttpHeaderBytes, " bytes"));
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(data.substr(0, header_end), "\r\n");
  for (absl::string_view line : lines) {
    if (line.find_first_of("\r\n") != absl::string_view::npos) {
      return Malformed("a bare CR or LF in the headers");
    }
  }

  HttpResponse response;
  absl::string_view status_line = lines[0];
  if (!absl::StartsWith(status_line, "HTTP/1.1 ") &&
      !absl::StartsWith(status_line, "HTTP/1.0 ")) {
    return Malformed("the status line does not start with HTTP/1.x");
  }
  absl::string_view code = status_line.substr(9, 3);
  if (code.size() != 3 || !absl::ascii_isdigit(code[0]) ||
      !absl::ascii_isdigit(code[1]) || !absl::ascii_isdigit(code[2]) ||
      code[0] == '0' || (status_line.size() > 12 && status_line[12] != ' ') ||
      !IsFieldText(status_line)) {
    return Malformed("bad status code");
  }
  response.status =
      (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (response.status < 200) return Malformed("an interim 1xx response");

  std::optional<uint64_t> content_length;
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (colon == 0 || colon == absl::string_view::npos) {
      return Malformed("a header line without a name and ':'");
    }
    absl::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) return Malformed("a bad header name");
    }
    absl::string_view value = line.substr(colon + 1);
    if (!IsFieldText(value))
      return Malformed("a control character in a header");
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t n = 0;
      bool digits = !value.empty() && value.size() <= 10;
      for (char c : value) digits = digits && absl::ascii_isdigit(c);
      if (!digits || !absl::SimpleAtoi(value, &n)) {
        return Malformed("bad Content-Length");
      }
      if (content_length.has_value() && *content_length != n) {
        return Malformed("conflicting Content-Length headers");
      }
      content_length = n;
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      if (chunked || !absl::EqualsIgnoreCase(value, "chunked")) {
        return Malformed("a transfer coding other than one \"chunked\"");
      }
      chunked = true;
    }
  }
  if (chunked && content_length.has_value()) {
    return Malformed("both Content-Length and Transfer-Encoding");
  }

  absl::string_view body = data.substr(header_end + 4);
  if (response.status == 204 || response.status == 304) {
    if (!body.empty()) return Malformed("a body in a 204 or 304 response");
    return std::optional<HttpResponse>(std::move(response));
  }
  if (chunked) {
    auto decoded = DecodeChunked(body, max_body);
    if (!decoded.ok()) return decoded.status();
    if (!decoded->has_value()) return Incomplete(at_eof, "the chunked body");
    response.body = **std::move(decoded);
  } else if (content_length.has_value()) {
    if (*content_length > max_body) {
      return absl::ResourceExhaustedError(
          absl::StrCat("HTTP response body larger than ", max_body, " bytes"));
    }
    if (body.size() < *content_length) return Incomplete(at_eof, "the body");
    if (body.size() > *content_length) {
      return Malformed("more bytes than its Content-Length");
    }
    response.body = std::string(body);
  } else {
    if (body.size() > max_body) {
      return absl::ResourceExhaustedError(
          absl::StrCat("HTTP response body larger than ", max_body, " bytes"));
    }
    if (!at_eof) return std::optional<HttpResponse>();
    response.body = std::string(body);
  }
  return std::optional<HttpResponse>(std::move(response));
}

}  // namespace bootstrap
