/* A third-party ONVIF client for tests/integration/test_simcam_onvif.py: libonvif
 * (Debian's libonvif-dev) talking to a device service.
 *
 * Usage: onvif_peer DEVICE_URL USER PASSWORD COMMAND...
 * Commands, run in order: move X Y Z (continuousMove), stop (moveStop, both axes),
 * setpreset N, gotopreset N, status (prints "position PAN TILT ZOOM" from GetStatus),
 * sleep MS. Prints "ok COMMAND" after each; exits 1 naming the failing command and the
 * camera's error.
 *
 * libonvif seeds rand() with time() for each request and writes Created to the second, so
 * two requests in one second carry the same UsernameToken; the simcam (rightly) refuses a
 * repeated token for a state change. So each command waits for a new second first, as a
 * person clicking through onvif-gui would.
 *
 * The password comes from the command line because libonvif takes it so; the test makes a
 * random one per run, on a camera that lives for the test only. */
#include <onvif.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Exported by libonvif 1.4 but commented out of its header. */
xmlDocPtr sendCommandToCamera(char *cmd, char *xaddrs);
void addUsernameDigestHeader(xmlNodePtr root, xmlNsPtr ns_env, char *user, char *password,
                             time_t offset);
void addHttpHeader(xmlDocPtr doc, xmlNodePtr root, char *xaddrs, char *post_type, char cmd[],
                   int cmd_length);
int checkForXmlErrorMsg(xmlDocPtr doc, char error_msg[1024]);

static int fail(const char *what, struct OnvifData *d) {
    fprintf(stderr, "onvif_peer: %s failed: %s\n", what, d->last_error);
    return 1;
}

/* The PanTilt x/y and Zoom x attributes of the first element with this local name. */
static double attribute_of(xmlDocPtr doc, const char *element, const char *attribute) {
    char path[256];
    snprintf(path, sizeof path, "//*[local-name()='Position']/*[local-name()='%s']", element);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)path, ctx);
    double v = -99;
    if (r && r->nodesetval && r->nodesetval->nodeNr > 0) {
        xmlChar *text = xmlGetProp(r->nodesetval->nodeTab[0], (const xmlChar *)attribute);
        if (text) {
            v = atof((const char *)text);
            xmlFree(text);
        }
    }
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(ctx);
    return v;
}

/* GetStatus, built the way libonvif builds its own PTZ requests. */
static int get_status(struct OnvifData *d) {
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "Envelope", NULL);
    xmlDocSetRootElement(doc, root);
    xmlNsPtr ns_env = xmlNewNs(root, BAD_CAST "http://www.w3.org/2003/05/soap-envelope",
                               BAD_CAST "SOAP-ENV");
    xmlNsPtr ns_ptz = xmlNewNs(root, BAD_CAST "http://www.onvif.org/ver20/ptz/wsdl",
                               BAD_CAST "tptz");
    xmlSetNs(root, ns_env);
    addUsernameDigestHeader(root, ns_env, d->username, d->password, d->time_offset);
    xmlNodePtr body = xmlNewTextChild(root, ns_env, BAD_CAST "Body", NULL);
    xmlNodePtr op = xmlNewTextChild(body, ns_ptz, BAD_CAST "GetStatus", NULL);
    xmlNewTextChild(op, ns_ptz, BAD_CAST "ProfileToken", BAD_CAST d->profileToken);
    char cmd[4096] = {0};
    addHttpHeader(doc, root, d->xaddrs, d->ptz_service, cmd, sizeof cmd);
    xmlDocPtr reply = sendCommandToCamera(cmd, d->xaddrs);  /* addHttpHeader freed doc */
    if (!reply) {
        strcpy(d->last_error, "no XML reply");
        return -1;
    }
    if (checkForXmlErrorMsg(reply, d->last_error) != 0) {
        xmlFreeDoc(reply);
        return -1;
    }
    printf("position %.4f %.4f %.4f\n", attribute_of(reply, "PanTilt", "x"),
           attribute_of(reply, "PanTilt", "y"), attribute_of(reply, "Zoom", "x"));
    xmlFreeDoc(reply);
    return 0;
}

/* Waits until the wall clock's second differs from the last request's. */
static void next_second(void) {
    static time_t last = 0;
    while (time(NULL) == last) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    last = time(NULL);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: onvif_peer DEVICE_URL USER PASSWORD COMMAND...\n");
        return 2;
    }
    struct OnvifData *d = calloc(1, sizeof *d);
    snprintf(d->xaddrs, sizeof d->xaddrs, "%s", argv[1]);
    snprintf(d->device_service, sizeof d->device_service, "POST %s HTTP/1.1\r\n", argv[1]);
    extractOnvifService(d->device_service, true);
    snprintf(d->username, sizeof d->username, "%s", argv[2]);
    snprintf(d->password, sizeof d->password, "%s", argv[3]);
    next_second();
    if (getTimeOffset(d) != 0) return fail("getTimeOffset", d);
    if (getCapabilities(d) != 0) return fail("getCapabilities", d);
    if (getProfileToken(d, 0) != 0) return fail("getProfileToken", d);
    if (getProfile(d) != 0) return fail("getProfile", d);
    for (int i = 4; i < argc; ++i) {
        const char *c = argv[i];
        int rc = 0;
        if (strcmp(c, "sleep") != 0) {
            next_second();
        }
        if (strcmp(c, "move") == 0 && i + 3 < argc) {
            rc = continuousMove(atof(argv[i + 1]), atof(argv[i + 2]), atof(argv[i + 3]), d);
            i += 3;
        } else if (strcmp(c, "stop") == 0) {
            rc = moveStop(0, d);  /* libonvif: 0 stops pan/tilt, 1 zoom */
            if (rc == 0) {
                next_second();
                rc = moveStop(1, d);
            }
        } else if (strcmp(c, "setpreset") == 0 && i + 1 < argc) {
            rc = setPreset(argv[++i], d);
        } else if (strcmp(c, "gotopreset") == 0 && i + 1 < argc) {
            rc = gotoPreset(argv[++i], d);
        } else if (strcmp(c, "status") == 0) {
            rc = get_status(d);
        } else if (strcmp(c, "sleep") == 0 && i + 1 < argc) {
            struct timespec ts = {0, 0};
            long ms = atol(argv[++i]);
            ts.tv_sec = ms / 1000;
            ts.tv_nsec = (ms % 1000) * 1000000L;
            nanosleep(&ts, NULL);
        } else {
            fprintf(stderr, "onvif_peer: unknown command %s\n", c);
            return 2;
        }
        if (rc != 0) return fail(c, d);
        printf("ok %s\n", c);
        fflush(stdout);
    }
    free(d);
    return 0;
}
