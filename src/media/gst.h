// RAII and conversions for GStreamer's C API.
//
// Reference rules (see docs/pitfalls.md): elements from a factory are floating
// until added to a bin; gst_bin_get_by_name, gst_element_get_static_pad and
// gst_app_sink_pull_sample return full references that we adopt here.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "media/sample.h"

namespace hearth::media::gst {

// Initialises GStreamer once per process; safe from any thread.
void ensure_init();

struct ObjectUnref {
    void operator()(gpointer p) const noexcept {
        if (p) gst_object_unref(p);
    }
};
struct SampleUnref {
    void operator()(GstSample* s) const noexcept {
        if (s) gst_sample_unref(s);
    }
};
struct CapsUnref {
    void operator()(GstCaps* c) const noexcept {
        if (c) gst_caps_unref(c);
    }
};

using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using PadPtr = std::unique_ptr<GstPad, ObjectUnref>;
using BusPtr = std::unique_ptr<GstBus, ObjectUnref>;
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;
using CapsPtr = std::unique_ptr<GstCaps, CapsUnref>;

// Parses a gst-launch style description into a pipeline.
core::Result<ElementPtr> parse_pipeline(const std::string& description);
ElementPtr by_name(GstElement* bin, const char* name);

// Builds a TrackInfo from parsed caps (video/x-h264 stream-format=avc, video/x-h265
// stream-format=hvc1, audio/mpeg mpegversion=4 stream-format=raw, audio/x-opus,
// audio/x-mulaw, audio/x-alaw). Errors: kInvalidArgument for anything else.
core::Result<TrackInfo> track_from_caps(const GstCaps* caps);

// Copies an encoded sample into an EncodedSample for `track`, with timestamps as
// running time (encoders shift buffer times by 1000 h; the segment undoes that).
EncodedSample sample_from_gst(GstSample* sample, int track, bool is_video_track);

// Describes the error in a bus message, without URLs (they may hold credentials).
std::string describe_error_message(GstMessage* message);

}  // namespace hearth::media::gst
