#include "app/account_cli.h"
#include "app/cli_support.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "auth/accounts.h"
#include "auth/household_keys.h"
#include "crypto/recovery_words.h"
#include "core/time_text.h"
#include "store/accounts.h"
#include "store/audit.h"
#include "store/index.h"

namespace hearth::app {
namespace {

core::Result<store::CameraRights> parse_rights_options(const std::vector<std::string>& options) {
    store::CameraRights out;
    for (const auto& option : options) {
        const auto eq = option.find('=');
        if (eq == std::string::npos) {
            return core::make_error(core::ErrorCode::kInvalidArgument,
                                    "--rights takes CAMERA=RIGHT,RIGHT (CAMERA: an id or all)");
        }
        const std::string camera = option.substr(0, eq);
        std::int64_t id = 0;
        if (camera != "all") {
            char* end = nullptr;
            id = std::strtoll(camera.c_str(), &end, 10);
            if (end == camera.c_str() || *end != '\0' || id <= 0) {
                return core::make_error(core::ErrorCode::kInvalidArgument,
                                        "--rights: camera must be a positive id or all");
            }
        }
        std::vector<std::string> names;
        std::string rest = option.substr(eq + 1);
        for (std::size_t pos = 0; pos <= rest.size();) {
            const auto comma = rest.find(',', pos);
            const auto piece = rest.substr(pos, comma == std::string::npos ? std::string::npos
                                                                           : comma - pos);
            if (!piece.empty()) {
                names.push_back(piece);
            }
            if (comma == std::string::npos) {
                break;
            }
            pos = comma + 1;
        }
        HEARTH_ASSIGN_OR_RETURN(out[id], auth::parse_rights(names));
    }
    return out;
}

// Shown once: the only way back into the recordings when every passphrase is forgotten.
void print_recovery_key(const crypto::SecretBytes& key) {
    if (key.empty()) {
        return;
    }
    auto words = crypto::recovery_words_from_key(key);
    if (!words) {
        std::fprintf(stderr, "hearth: cannot show the recovery key: %s\n",
                     words.error().message.c_str());
        return;
    }
    std::printf("\nRECOVERY KEY (shown once; print it or write it down and keep it safe):\n\n");
    // Split in place: a stream would keep a copy of the words that cannot be wiped.
    std::string_view rest = *words;
    for (int i = 1; !rest.empty(); ++i) {
        const auto space = rest.find(' ');
        const auto word = rest.substr(0, space);
        std::printf("%3d. %-10.*s%s", i, static_cast<int>(word.size()), word.data(),
                    i % 6 == 0 ? "\n" : "");
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    std::printf("\nWith it, and only with it, an owner who forgot every passphrase gets the "
                "recordings back (hearth recover).\n");
    crypto::wipe(*words);
}

int run_setup(const AccountCommands& c, auth::AccountService& accounts) {
    std::string code = c.code;
    if (code.empty()) {
        auto typed = read_line_secret("Setup code (printed by the hub when it started): ");
        if (!typed) {
            return fail(typed.error());
        }
        code.assign(reinterpret_cast<const char*>(typed->data()), typed->size());
    }
    auto pw = read_new_passphrase(c.passphrase_stdin);
    if (!pw) {
        return fail(pw.error());
    }
    crypto::SecretBytes recovery;
    auto who = accounts.complete_setup(code, c.name, *pw, kLocal, &recovery);
    if (!who) {
        return fail(who.error());
    }
    std::printf("created owner %s; log in with this name and passphrase\n", who->name.c_str());
    print_recovery_key(recovery);
    return 0;
}

}  // namespace

void add_account_commands(CLI::App& cli, AccountCommands& c,
                          const std::function<void(CLI::App*)>& add_common) {
    c.setup = cli.add_subcommand(
        "setup", "Create the owner account with the hub's one-time setup code (no browser needed)");
    add_common(c.setup);
    c.setup->add_option("--code", c.code, "The setup code the hub printed (asked for if omitted)");
    c.setup->add_option("--username", c.name, "The owner's user name")->required();
    c.setup->add_flag("--passphrase-stdin", c.passphrase_stdin,
                      "Read the passphrase as one line from standard input");

    auto* user = cli.add_subcommand("user", "Add, list, re-key or remove accounts");
    user->require_subcommand(1);
    c.user_add = user->add_subcommand("add", "Add an account (the passphrase is asked for)");
    add_common(c.user_add);
    c.user_add->add_option("name", c.name, "User name: letters, digits, '.', '-', '_'")
        ->required();
    c.user_add->add_option("--role", c.role, "owner, member or guest")
        ->check(CLI::IsMember({"owner", "member", "guest"}));
    c.user_add->add_option("--rights", c.rights,
                           "CAMERA=RIGHT,... with CAMERA an id or 'all' and rights among live, "
                           "recordings, ptz, talk, share, manage (repeatable)");
    c.user_add->add_flag("--passphrase-stdin", c.passphrase_stdin,
                         "Read the passphrase as one line from standard input");
    c.user_list = user->add_subcommand("list", "List accounts");
    add_common(c.user_list);
    c.user_passwd = user->add_subcommand(
        "passwd", "Set an account's passphrase; ends all of its sessions");
    add_common(c.user_passwd);
    c.user_passwd->add_option("name", c.name)->required();
    c.user_passwd->add_flag("--passphrase-stdin", c.passphrase_stdin,
                            "Read the passphrase as one line from standard input");
    c.user_remove = user->add_subcommand("remove", "Remove an account and end its sessions");
    add_common(c.user_remove);
    c.user_remove->add_option("name", c.name)->required();

    c.sessions = cli.add_subcommand("sessions", "List logged-in sessions, or end one");
    add_common(c.sessions);
    c.sessions->add_option("--user", c.user_filter, "Only this user's sessions");
    c.sessions->add_option("--revoke", c.revoke, "End the session with this id")
        ->check(CLI::PositiveNumber);
}

std::optional<int> run_account_commands(const AccountCommands& c, const core::Config& config) {
    const bool any = c.setup->parsed() || c.user_add->parsed() || c.user_list->parsed() ||
                     c.user_passwd->parsed() || c.user_remove->parsed() || c.sessions->parsed();
    if (!any) {
        return std::nullopt;
    }
    auto opened = open_accounts(config);
    if (!opened) {
        return fail(opened.error());
    }
    auto& accounts = *(*opened)->accounts;
    auto& store = *(*opened)->store;
    const std::string actor = cli_actor();

    if (c.setup->parsed()) {
        return run_setup(c, accounts);
    }
    if (c.user_add->parsed()) {
        auto rights = parse_rights_options(c.rights);
        if (!rights) {
            return fail(rights.error());
        }
        auth::NewUser nu;
        nu.name = c.name;
        nu.role = *auth::parse_role(c.role);
        nu.rights = std::move(*rights);
        auto pw = read_new_passphrase(c.passphrase_stdin);
        if (!pw) {
            return fail(pw.error());
        }
        nu.password = std::move(*pw);
        auto id = accounts.add_user(actor, nu, kLocal);
        if (!id) {
            return fail(id.error());
        }
        std::printf("added %s %s (id %lld)\n", c.role.c_str(), c.name.c_str(),
                    static_cast<long long>(id->value()));
        return 0;
    }
    if (c.user_list->parsed()) {
        auto users = accounts.users();
        if (!users) {
            return fail(users.error());
        }
        std::printf("%-4s %-20s %-7s %-5s %s\n", "ID", "NAME", "ROLE", "2FA", "RIGHTS");
        for (const auto& u : *users) {
            std::string rights = u.role == "owner" ? "everything" : "";
            if (u.role != "owner") {
                auto r = store.rights(u.id);
                for (const auto& [camera, bits] : r ? *r : store::CameraRights{}) {
                    rights += (rights.empty() ? "" : " ") +
                              (camera == 0 ? std::string("all") : std::to_string(camera)) + "=";
                    const auto names = auth::right_names(bits);
                    for (std::size_t i = 0; i < names.size(); ++i) {
                        rights += (i ? "," : "") + names[i];
                    }
                }
            }
            std::printf("%-4lld %-20s %-7s %-5s %s\n", static_cast<long long>(u.id.value()),
                        u.name.c_str(), u.role.c_str(), u.totp_enabled ? "yes" : "no",
                        rights.empty() ? "none" : rights.c_str());
        }
        return 0;
    }
    if (c.user_passwd->parsed() || c.user_remove->parsed()) {
        auto user = store.find_user(c.name);
        if (!user) {
            return fail(user.error());
        }
        if (c.user_remove->parsed()) {
            if (auto r = accounts.remove_user(actor, user->id, kLocal); !r) {
                return fail(r.error());
            }
            std::printf("removed %s\n", user->name.c_str());
            return 0;
        }
        auto pw = read_new_passphrase(c.passphrase_stdin);
        if (!pw) {
            return fail(pw.error());
        }
        if (auto r = accounts.reset_password(actor, user->id, *pw, kLocal); !r) {
            return fail(r.error());
        }
        std::printf("passphrase of %s changed; their sessions have ended\n", user->name.c_str());
        return 0;
    }
    // sessions
    std::optional<core::UserId> only;
    if (!c.user_filter.empty()) {
        auto user = store.find_user(c.user_filter);
        if (!user) {
            return fail(user.error());
        }
        only = user->id;
    }
    if (c.revoke > 0) {
        auto removed = store.remove_session(core::SessionId(c.revoke), only);
        if (!removed) {
            return fail(removed.error());
        }
        if (*removed == 0) {
            return fail(core::make_error(core::ErrorCode::kNotFound, "no such session"));
        }
        store::AuditEntry e;
        e.at_us = core::SystemClock().now_us();
        e.actor = actor;
        e.action = "session.end";
        e.target = "session " + std::to_string(c.revoke);
        e.source = "local";
        e.detail = "revoked from the command line";
        if (auto r = (*opened)->audit->append(std::move(e)); !r) {
            return fail(r.error());
        }
        std::printf("session %lld ended\n", static_cast<long long>(c.revoke));
        return 0;
    }
    auto sessions = store.sessions(only);
    auto users = accounts.users();
    if (!sessions || !users) {
        return fail(!sessions ? sessions.error() : users.error());
    }
    std::printf("%-4s %-16s %-20s %-20s %-16s %s\n", "ID", "USER", "SINCE", "LAST SEEN", "FROM",
                "DEVICE");
    for (const auto& s : *sessions) {
        std::string name = "?";
        for (const auto& u : *users) {
            if (u.id == s.user) {
                name = u.name;
            }
        }
        std::printf("%-4lld %-16s %-20s %-20s %-16s %s\n", static_cast<long long>(s.id.value()),
                    name.c_str(), core::format_time(s.created_us).substr(0, 19).c_str(),
                    core::format_time(s.last_seen_us).substr(0, 19).c_str(), s.source.c_str(),
                    s.user_agent.c_str());
    }
    return 0;
}

}  // namespace hearth::app
