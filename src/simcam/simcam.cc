#include "simcam/simcam.h"

#include <gst/rtsp-server/rtsp-server.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <thread>

namespace hearth::simcam {

using media::SimOutput;
using media::SimProducer;
namespace gst = media::gst;

struct Simcam::Impl {
    SimcamOptions options;
    GMainContext* context = nullptr;
    GMainLoop* loop = nullptr;
    GstRTSPServer* server = nullptr;
    guint source_id = 0;
    std::thread thread;
    std::mutex mu;
    std::map<GstRTSPMedia*, std::unique_ptr<SimProducer>> producers;  // GUARDED_BY(mu)

    static void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media,
                                   gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        GstElement* element = gst_rtsp_media_get_element(media);
        if (!self->options.file.empty()) {
            // Set as a property: a path is never spliced into a launch line.
            g_object_set(gst::by_name(element, "file").get(), "location",
                         self->options.file.c_str(), nullptr);
            gst_object_unref(element);
            return;
        }
        auto vsrc = gst::by_name(element, "vsrc");
        auto asrc = self->options.camera.audio ? gst::by_name(element, "asrc") : gst::ElementPtr();
        gst_object_unref(element);
        auto producer = std::make_unique<SimProducer>(self->options.camera, vsrc.get(), asrc.get());
        producer->start();
        {
            std::lock_guard lock(self->mu);
            self->producers[media] = std::move(producer);
        }
        g_signal_connect(media, "unprepared", G_CALLBACK(&Impl::on_unprepared), self);
    }

    static void on_unprepared(GstRTSPMedia* media, gpointer data) noexcept {
        auto* self = static_cast<Impl*>(data);
        std::unique_ptr<SimProducer> producer;
        {
            std::lock_guard lock(self->mu);
            auto it = self->producers.find(media);
            if (it != self->producers.end()) {
                producer = std::move(it->second);
                self->producers.erase(it);
            }
        }
        if (producer) {
            producer->stop();
        }
    }
};

Simcam::Simcam(SimcamOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    gst::ensure_init();
}

Simcam::~Simcam() { stop(); }

core::Result<std::string> Simcam::start() {
    auto& o = impl_->options;
    impl_->context = g_main_context_new();
    impl_->loop = g_main_loop_new(impl_->context, FALSE);
    impl_->server = gst_rtsp_server_new();
    gst_rtsp_server_set_address(impl_->server, o.listen.host.c_str());
    gst_rtsp_server_set_service(impl_->server, std::to_string(o.listen.port).c_str());
    // The default listen backlog of 5 refuses most of 32 clients that connect at once.
    gst_rtsp_server_set_backlog(impl_->server, 128);
    // The default pool serves every client on the main loop's one thread: while one waits
    // for the shared media to prepare, the others stall. Give clients threads of their own.
    GstRTSPThreadPool* pool = gst_rtsp_server_get_thread_pool(impl_->server);
    gst_rtsp_thread_pool_set_max_threads(pool, 16);
    g_object_unref(pool);

    GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
    const std::string launch =
        o.file.empty()
            ? "( " + media::sim_pipeline_description(o.camera, SimOutput::kRtp) + " )"
            : "( filesrc name=file ! qtdemux name=demux demux.video_0 ! queue ! h264parse ! "
              "rtph264pay name=pay0 pt=96 config-interval=-1 )";
    gst_rtsp_media_factory_set_launch(factory, launch.c_str());
    gst_rtsp_media_factory_set_shared(factory, TRUE);  // one encoder however many clients
    g_signal_connect(factory, "media-configure", G_CALLBACK(&Impl::on_media_configure),
                     impl_.get());

    if (!o.username.empty()) {
        GstRTSPAuth* auth = gst_rtsp_auth_new();
        gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
        GstRTSPToken* token =
            gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", nullptr);
        gst_rtsp_auth_add_digest(auth, o.username.c_str(), o.password.c_str(), token);
        gst_rtsp_token_unref(token);
        gst_rtsp_server_set_auth(impl_->server, auth);
        g_object_unref(auth);
        gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                        G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                        G_TYPE_BOOLEAN, TRUE, nullptr);
    }
    GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(impl_->server);
    gst_rtsp_mount_points_add_factory(mounts, o.mount.c_str(), factory);
    g_object_unref(mounts);

    GError* error = nullptr;
    impl_->source_id = gst_rtsp_server_attach(impl_->server, impl_->context);
    if (impl_->source_id == 0) {
        // attach() does not report why; creating the socket ourselves does.
        GSocket* sock = gst_rtsp_server_create_socket(impl_->server, nullptr, &error);
        std::string why = error ? error->message : "unknown";
        if (error) g_error_free(error);
        if (sock) g_object_unref(sock);
        return core::make_error(core::ErrorCode::kUnavailable,
                                "simcam cannot listen on " + o.listen.to_string() + ": " + why);
    }
    const int port = gst_rtsp_server_get_bound_port(impl_->server);
    impl_->thread = std::thread([loop = impl_->loop, ctx = impl_->context] {
        g_main_context_push_thread_default(ctx);
        g_main_loop_run(loop);
        g_main_context_pop_thread_default(ctx);
    });
    core::ListenAddress bound = o.listen;
    bound.port = static_cast<std::uint16_t>(port);
    return "rtsp://" + bound.to_string() + o.mount;
}

void Simcam::stop() {
    if (impl_->loop == nullptr) {
        return;
    }
    g_main_loop_quit(impl_->loop);
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
    {
        std::lock_guard lock(impl_->mu);
        for (auto& [media, producer] : impl_->producers) {
            producer->stop();
        }
        impl_->producers.clear();
    }
    if (impl_->source_id != 0) {
        if (GSource* source = g_main_context_find_source_by_id(impl_->context, impl_->source_id)) {
            g_source_destroy(source);
        }
    }
    g_object_unref(impl_->server);
    g_main_loop_unref(impl_->loop);
    g_main_context_unref(impl_->context);
    impl_->loop = nullptr;
}

}  // namespace hearth::simcam
