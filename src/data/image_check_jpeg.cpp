// JPEG: the segments up to the frame header, then every scan's tables (DQT, DHT), components and restart markers.
// Part of the image checks: see image_check.hpp (what and why) and
// image_check_formats.hpp (the shared helpers).
#include "data/image_check_formats.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

namespace zengen::data::decoder::detail {

namespace {

struct JpegComponent {
  int id = 0, h = 1, v = 1, tq = 0;
  bool scanned = false;  // baseline: in a scan; progressive: in a first DC scan
};

const char* jpeg_marker_name(unsigned m) {
  switch (m) {
    case 0xC3: return "SOF3 (a lossless frame)";
    case 0xC5: return "SOF5 (a differential, hierarchical frame)";
    case 0xC6: return "SOF6 (a differential, hierarchical frame)";
    case 0xC7: return "SOF7 (a differential lossless frame)";
    case 0xC8: return "JPG (reserved)";
    case 0xC9: return "SOF9 (an arithmetic-coded frame)";
    case 0xCA: return "SOF10 (an arithmetic-coded progressive frame)";
    case 0xCB: return "SOF11 (an arithmetic-coded lossless frame)";
    case 0xCC: return "DAC (arithmetic coding conditioning)";
    case 0xCD: return "SOF13 (an arithmetic-coded hierarchical frame)";
    case 0xCE: return "SOF14 (an arithmetic-coded hierarchical frame)";
    case 0xCF: return "SOF15 (an arithmetic-coded hierarchical frame)";
    case 0xD8: return "a second SOI (start of image)";
    case 0xDE: return "DHP (a hierarchical progression)";
    case 0xDF: return "EXP (expand reference components)";
    case 0x00: return "FF 00 (a stuffed byte, outside a scan)";
    default:
      if (m >= 0xD0 && m <= 0xD7) return "RSTn (a restart marker, outside a scan)";
      return "a marker stb_image does not read";
  }
}

std::string table_list(const bool (&defined)[4]) {
  std::string s;
  for (int i = 0; i < 4; ++i)
    if (defined[i]) s += (s.empty() ? "" : ", ") + std::to_string(i);
  return s.empty() ? "none" : s;
}

// Walks a JPEG's segments and scans the way stb_image reads them.
class JpegWalk {
 public:
  enum Result { Ok, Fault, End };  // End: the file ends first (the decoder reports the truncation)

  template <typename... Args>
  static Result fault(std::string& why, Args&&... args) {
    fail(why, std::forward<Args>(args)...);
    return Fault;
  }

  JpegWalk(const unsigned char* d, std::size_t n) : d_(d), n_(n) {}

  std::uint32_t width = 0, height = 0;

  // header_only: stop after the frame header (SOF).
  Result run(bool header_only, std::string& why) {
    // SOI: FF (more FFs) D8, as stb's first marker read.
    std::size_t pos = 0;
    while (pos < n_ && d_[pos] == 0xFF) ++pos;
    if (pos >= n_) return End;
    pos++;  // D8, checked by the caller's signature test
    bool first = true;
    for (;;) {
      unsigned marker;
      if (pos >= n_) return End;
      if (d_[pos] != 0xFF) {
        // stb skips junk between segments before the frame header, except
        // right after SOI; after it, a segment must follow directly.
        if (first || have_sof_)
          return fault(why, "JPEG: byte ", hex(d_[pos], 2), " at offset ", pos,
                            " where a marker (FF xx) should follow the previous segment");
        while (pos < n_ && d_[pos] != 0xFF) ++pos;
        continue;
      }
      while (pos < n_ && d_[pos] == 0xFF) ++pos;
      if (pos >= n_) return End;
      marker = d_[pos++];
      first = false;
      const std::size_t at = pos - 2;
      Result r = Ok;
      if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
        if (have_sof_) return fault(why, "JPEG: a second frame header (SOF) at byte ", at);
        r = frame(pos, marker, why);
        if (r != Ok) return r;
        if (header_only) return Ok;
      } else if (marker == 0xDA) {
        if (!have_sof_) return fault(why, "JPEG: a scan (SOS) at byte ", at, " before the frame header (SOF)");
        r = scan(pos, why);
      } else if (marker == 0xD9) {
        if (!have_sof_) return fault(why, "JPEG: the image ends (EOI) before its frame header (SOF)");
        return end_of_image(why);
      } else if (marker == 0xDB) {
        r = dqt(pos, why);
      } else if (marker == 0xC4) {
        r = dht(pos, why);
      } else if (marker == 0xDD) {
        r = dri(pos, why);
      } else if (marker == 0xDC && have_sof_) {
        r = dnl(pos, why);
      } else if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) {
        if (pos + 2 > n_) return End;
        const std::uint32_t len = be16(d_ + pos);
        if (len < 2)
          return fault(why, "JPEG: the ", marker == 0xFE ? std::string("COM") : "APP" + std::to_string(marker - 0xE0),
                            " segment at byte ", at, " declares length ", len, "; a length counts its own 2 bytes");
        pos += len;
      } else {
        return fault(why, "JPEG: marker FF ", hex(marker, 2).substr(2), " at byte ", at, ": ", jpeg_marker_name(marker),
                          "; stb_image reads baseline (SOF0, SOF1) and progressive (SOF2) Huffman-coded JPEGs");
      }
      if (r != Ok) return r;
    }
  }

 private:
  // The 2-byte length at pos, checked against `min`; End when cut.
  Result length(std::size_t pos, std::uint32_t& len, const char* what, std::string& why) {
    if (pos + 2 > n_) return End;
    len = be16(d_ + pos);
    if (len < 2)
      return fault(why, "JPEG: the ", what, " segment at byte ", pos - 2, " declares length ", len,
                        "; a length counts its own 2 bytes");
    return Ok;
  }

  Result dqt(std::size_t& pos, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "DQT", why); r != Ok) return r;
    std::int64_t left = std::int64_t{len} - 2;
    std::size_t p = pos + 2;
    while (left > 0) {
      if (p >= n_) return End;
      const unsigned precision = d_[p] >> 4, id = d_[p] & 15;
      if (precision > 1)
        return fault(why, "JPEG: a quantisation table (DQT) of precision ", precision,
                          "; allowed 0 (8-bit) or 1 (16-bit)");
      if (id > 3) return fault(why, "JPEG: a quantisation table (DQT) with id ", id, "; allowed 0 to 3");
      const std::size_t bytes = precision ? 129 : 65;
      if (p + bytes > n_) return End;
      qt_[id] = true;
      p += bytes;
      left -= static_cast<std::int64_t>(bytes);
    }
    if (left != 0)
      return fault(why, "JPEG: the DQT segment at byte ", pos - 2, " declares length ", len,
                        ", which does not match the tables it holds");
    pos = p;
    return Ok;
  }

  Result dht(std::size_t& pos, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "DHT", why); r != Ok) return r;
    std::int64_t left = std::int64_t{len} - 2;
    std::size_t p = pos + 2;
    while (left > 0) {
      if (p >= n_) return End;
      const unsigned tc = d_[p] >> 4, th = d_[p] & 15;
      if (tc > 1 || th > 3)
        return fault(why, "JPEG: a Huffman table (DHT) of class ", tc, " and id ", th,
                          "; allowed class 0 (DC) or 1 (AC) and id 0 to 3");
      const char* cls = tc ? "AC" : "DC";
      // stb_image 2.27 (fixed upstream in 2.28) writes past its 257-entry
      // tables for more than 256 codes, before anything notices, and reads
      // zeros past the end of the file: count what it would see.
      int codes = 0;
      for (std::size_t i = p + 1; i <= p + 16 && i < n_; ++i) codes += d_[i];
      if (codes > 256)
        return fault(why, "JPEG: a Huffman table (DHT, class ", cls, ", id ", th, ") declares ", codes,
                          " codes, more than the 256 a table holds");
      if (p + 17 > n_) return End;
      // stb's "bad code lengths": more codes of a length than fit.
      std::uint32_t code = 0;
      for (int j = 1; j <= 16; ++j) {
        const unsigned count = d_[p + j];
        code += count;
        if (count && code - 1 >= (std::uint32_t{1} << j))
          return fault(why, "JPEG: a Huffman table (DHT, class ", cls, ", id ", th, ") declares more codes of ",
                            j, " bits than ", j, " bits can hold");
        code <<= 1;
      }
      if (p + 17 + static_cast<std::size_t>(codes) > n_) return End;
      (tc ? ac_ : dc_)[th] = true;
      p += 17 + static_cast<std::size_t>(codes);
      left -= 17 + codes;
    }
    if (left != 0)
      return fault(why, "JPEG: the DHT segment at byte ", pos - 2, " declares length ", len,
                        ", which does not match the tables it holds");
    pos = p;
    return Ok;
  }

  Result dri(std::size_t& pos, std::string& why) {
    if (pos + 4 > n_) return End;
    if (be16(d_ + pos) != 4)
      return fault(why, "JPEG: the DRI segment at byte ", pos - 2, " declares length ", be16(d_ + pos),
                        "; it must be 4");
    restart_ = be16(d_ + pos + 2);
    pos += 4;
    return Ok;
  }

  Result dnl(std::size_t& pos, std::string& why) {
    if (pos + 4 > n_) return End;
    if (be16(d_ + pos) != 4)
      return fault(why, "JPEG: the DNL segment declares length ", be16(d_ + pos), "; it must be 4");
    if (be16(d_ + pos + 2) != height)
      return fault(why, "JPEG: the DNL segment gives height ", be16(d_ + pos + 2), ", the frame header ", height);
    pos += 4;
    return Ok;
  }

  Result frame(std::size_t& pos, unsigned marker, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "SOF", why); r != Ok) return r;
    if (len < 11) return fault(why, "JPEG: the frame header (SOF) declares length ", len, "; at least 11");
    if (pos + 8 > n_) return End;
    const unsigned precision = d_[pos + 2];
    height = be16(d_ + pos + 3);
    width = be16(d_ + pos + 5);
    nf_ = d_[pos + 7];
    if (precision != 8)
      return fault(why, "JPEG: the frame header (SOF) gives ", precision,
                        "-bit samples; stb_image reads 8-bit JPEGs only");
    if (height == 0)
      return fault(why, "JPEG: the frame header (SOF) gives height 0 (the height would follow in a DNL segment); "
                             "stb_image does not read such files");
    if (width == 0) return fault(why, "JPEG: the frame header (SOF) gives width 0; allowed 1 to 65535");
    if (nf_ != 1 && nf_ != 3 && nf_ != 4)
      return fault(why, "JPEG: the frame header (SOF) declares ", nf_,
                        " components; allowed 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK)");
    if (len != 8 + 3u * nf_)
      return fault(why, "JPEG: the frame header (SOF) declares length ", len, "; ", nf_, " components need ",
                        8 + 3 * nf_);
    if (pos + len > n_) return End;
    for (int i = 0; i < nf_; ++i) {
      const unsigned char* c = d_ + pos + 8 + 3 * i;
      comp_[i] = {c[0], c[1] >> 4, c[1] & 15, c[2], false};
      if (comp_[i].h < 1 || comp_[i].h > 4 || comp_[i].v < 1 || comp_[i].v > 4)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") has sampling factors ", comp_[i].h,
                          " x ", comp_[i].v, " (SOF); allowed 1 to 4 each");
      if (comp_[i].tq > 3)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") uses quantisation table ",
                          comp_[i].tq, " (SOF); allowed 0 to 3");
      hmax_ = std::max(hmax_, comp_[i].h);
      vmax_ = std::max(vmax_, comp_[i].v);
    }
    for (int i = 0; i < nf_; ++i)
      if (hmax_ % comp_[i].h || vmax_ % comp_[i].v)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") has sampling factors ", comp_[i].h,
                          " x ", comp_[i].v, ", which do not divide the largest (", hmax_, " x ", vmax_,
                          "); stb_image needs whole ratios");
    progressive_ = marker == 0xC2;
    have_sof_ = true;
    pos += len;
    return Ok;
  }

  Result scan(std::size_t& pos, std::string& why) {
    ++scans_;
    if (pos + 3 > n_) return End;
    const std::uint32_t len = be16(d_ + pos);
    const int ns = d_[pos + 2];
    if (ns < 1 || ns > 4 || ns > nf_)
      return fault(why, "JPEG: scan ", scans_, " (SOS) names ", ns, " components; allowed 1 to ", nf_,
                        " (the frame's)");
    if (len != 6 + 2u * ns)
      return fault(why, "JPEG: scan ", scans_, " (SOS) declares length ", len, "; ", ns, " components need ",
                        6 + 2 * ns);
    if (pos + len > n_) return End;
    const unsigned char* s = d_ + pos + 3;
    const unsigned ss = s[2 * ns], se = s[2 * ns + 1], ah = s[2 * ns + 2] >> 4, al = s[2 * ns + 2] & 15;
    if (progressive_) {
      if (ss > 63 || se > 63 || ss > se || ah > 13 || al > 13)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) has spectral selection ", ss, " to ", se,
                          " and successive approximation ", ah, "/", al,
                          "; allowed 0 <= start <= end <= 63, each approximation at most 13");
      if (ss == 0 && se != 0)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) mixes DC and AC coefficients (spectral "
                               "selection 0 to ", se, "); a DC scan ends at 0");
      if (ns > 1 && ss != 0)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) interleaves ", ns,
                          " components in an AC scan (spectral selection ", ss, " to ", se, "); AC scans hold one");
    } else if (ss != 0 || ah != 0 || al != 0) {
      return fault(why, "JPEG: scan ", scans_, " (SOS) of a sequential JPEG has spectral selection start ", ss,
                        " and successive approximation ", ah, "/", al, "; allowed 0, 0/0");
    }
    const bool uses_dc = !progressive_ || (ss == 0 && ah == 0), uses_ac = !progressive_ || ss > 0;
    int members[4];
    for (int k = 0; k < ns; ++k) {
      const int id = s[2 * k], td = s[2 * k + 1] >> 4, ta = s[2 * k + 1] & 15;
      int which = 0;
      while (which < nf_ && comp_[which].id != id) ++which;
      if (which == nf_) {
        std::string ids;
        for (int i = 0; i < nf_; ++i) ids += (i ? ", " : "") + std::to_string(comp_[i].id);
        return fault(why, "JPEG: scan ", scans_, " (SOS) names component id ", id,
                          ", which the frame header (SOF) does not have (its ids: ", ids, ")");
      }
      if (td > 3 || ta > 3)
        return fault(why, "JPEG: scan ", scans_, " (SOS) gives component id ", id, " Huffman tables DC ", td,
                          " and AC ", ta, "; allowed 0 to 3");
      const JpegComponent& c = comp_[which];
      if (!qt_[c.tq])
        return fault(why, "JPEG: component ", which + 1, " (id ", id, ") uses quantisation table ", c.tq,
                          " (SOF), but no DQT segment before scan ", scans_, " defines it (defined: ",
                          table_list(qt_), ")");
      if (uses_dc && !dc_[td])
        return fault(why, "JPEG: scan ", scans_, " (SOS) uses DC Huffman table ", td, " for component id ", id,
                          ", but no DHT segment before it defines that table (defined DC tables: ", table_list(dc_),
                          ")");
      if (uses_ac && !ac_[ta])
        return fault(why, "JPEG: scan ", scans_, " (SOS) uses AC Huffman table ", ta, " for component id ", id,
                          ", but no DHT segment before it defines that table (defined AC tables: ", table_list(ac_),
                          ")");
      members[k] = which;
    }
    pos += len;

    // The entropy-coded data: to the first marker other than a stuffed
    // FF 00 or a restart marker, counting the restart markers.
    std::uint64_t restarts = 0;
    for (;;) {
      const void* ff = pos < n_ ? std::memchr(d_ + pos, 0xFF, n_ - pos) : nullptr;
      if (!ff) return End;
      std::size_t q = static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - d_) + 1;
      while (q < n_ && d_[q] == 0xFF) ++q;
      if (q >= n_) return End;
      if (d_[q] == 0x00 || (d_[q] >= 0xD0 && d_[q] <= 0xD7)) {
        restarts += d_[q] != 0x00;
        pos = q + 1;
        continue;
      }
      pos = q - 1;  // the marker's FF: the segment loop reads it
      break;
    }
    // stb_image decodes a restart interval's MCUs, then expects a restart
    // marker; where there is none it stops the scan and returns the image
    // with the rest of its pixels unwritten.
    std::uint64_t mcus;
    if (ns > 1) {
      mcus = std::uint64_t{(width + 8u * hmax_ - 1) / (8u * hmax_)} * ((height + 8u * vmax_ - 1) / (8u * vmax_));
    } else {
      const JpegComponent& c = comp_[members[0]];
      const std::uint64_t cx = (std::uint64_t{width} * c.h + hmax_ - 1) / hmax_;
      const std::uint64_t cy = (std::uint64_t{height} * c.v + vmax_ - 1) / vmax_;
      mcus = ((cx + 7) / 8) * ((cy + 7) / 8);
    }
    if (restart_ > 0) {
      const std::uint64_t need = (mcus + restart_ - 1) / restart_ - 1;
      if (restarts < need)
        return fault(why, "JPEG: scan ", scans_, " holds ", restarts, " restart marker", restarts == 1 ? "" : "s",
                          ", but its ", mcus, " MCUs in restart intervals of ", restart_, " (DRI) need ", need,
                          "; stb_image would stop at the first missing one and leave the rest of the image unwritten");
    }
    for (int k = 0; k < ns; ++k)
      if (uses_dc) comp_[members[k]].scanned = true;
    return Ok;
  }

  Result end_of_image(std::string& why) {
    for (int i = 0; i < nf_; ++i)
      if (!comp_[i].scanned)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") ",
                          progressive_ ? "has no first DC scan (spectral selection 0, approximation 0)"
                                       : "appears in no scan",
                          " before the end of the image (EOI); its pixels would be left unwritten");
    return Ok;
  }

  const unsigned char* d_;
  std::size_t n_;
  bool qt_[4] = {}, dc_[4] = {}, ac_[4] = {};
  std::uint32_t restart_ = 0;
  bool have_sof_ = false, progressive_ = false;
  int nf_ = 0, hmax_ = 1, vmax_ = 1, scans_ = 0;
  JpegComponent comp_[4];
};

}  // namespace

bool is_jpeg(const unsigned char* d, std::size_t n) {
  std::size_t i = 0;
  while (i < n && d[i] == 0xFF) ++i;
  return i > 0 && i < n && d[i] == 0xD8;
}

bool jpeg_header(const unsigned char* d, std::size_t n, Header& h, std::string& why) {
  JpegWalk walk(d, n);
  switch (walk.run(true, why)) {
    case JpegWalk::Ok:
      h.width = walk.width;
      h.height = walk.height;
      return true;
    case JpegWalk::End: return truncated_header(why, "JPEG header (before the frame header, SOF, is complete)", n);
    default: return false;
  }
}

bool jpeg_body(const unsigned char* d, std::size_t n, const Header& h, std::string& why) {
  if (h.width * h.height > INT_MAX / 4)  // stb's "too large" (bytes of the decoded planes)
    return fail(why, "JPEG: a ", h.width, " x ", h.height, " image is more than stb_image decodes (2^31 bytes)");
  JpegWalk walk(d, n);
  return walk.run(false, why) != JpegWalk::Fault;
}

}  // namespace zengen::data::decoder::detail
