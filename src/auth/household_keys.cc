#include "auth/household_keys.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <vector>

#include "crypto/key_file.h"

namespace hearth::auth {

using core::ErrorCode;
using core::make_error;

namespace {

constexpr std::string_view kPublicKeySetting = "household_public_key";
constexpr std::string_view kSetupHolder = "setup";
constexpr std::string_view kRecoveryHolder = "recovery";
constexpr std::size_t kKeyBytes = 32;

core::Error locked() { return make_error(ErrorCode::kFailedPrecondition, kLockedMessage); }

// Overwrites the file before unlinking it: a plain unlink leaves the key in free blocks.
void shred_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        const std::vector<std::uint8_t> zeros(kKeyBytes, 0);
        (void)!::write(fd, zeros.data(), zeros.size());
        ::fdatasync(fd);
        ::close(fd);
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);
}

}  // namespace

std::string user_wrap_holder(core::UserId user) { return "user:" + std::to_string(user.value()); }

core::Result<std::unique_ptr<HouseholdKeys>> HouseholdKeys::open(store::AccountStore& store,
                                                                 std::filesystem::path data_dir,
                                                                 const core::Clock& clock,
                                                                 crypto::PasswordCost cost) {
    HEARTH_ASSIGN_OR_RETURN(auto stored, store.setting(kPublicKeySetting));
    crypto::PublicKey pub{};
    if (stored) {
        HEARTH_ASSIGN_OR_RETURN(auto raw, crypto::base64url_decode(*stored));
        if (raw.size() != pub.size()) {
            return make_error(ErrorCode::kInvalidArgument,
                              "the stored household public key is damaged");
        }
        std::copy(raw.begin(), raw.end(), pub.begin());
    } else {
        // First start: the private half goes straight into its setup wrap (see the header).
        HEARTH_ASSIGN_OR_RETURN(auto key, crypto::HouseholdKey::generate());
        HEARTH_ASSIGN_OR_RETURN(auto setup_key, crypto::SecretBytes::random(kKeyBytes));
        HEARTH_ASSIGN_OR_RETURN(auto wrap, key.wrap_with_key(setup_key));
        HEARTH_TRY(crypto::write_file_atomically(data_dir / "setup.key", setup_key.view(), 0600));
        HEARTH_TRY(store.put_household_wrap(kSetupHolder, core::UserId(), wrap, clock.now_us()));
        // Written last: its presence means the pair is complete.
        HEARTH_TRY(store.set_setting(kPublicKeySetting, crypto::base64url_encode(key.public_key())));
        pub = key.public_key();
        spdlog::info("household key made; recordings are encrypted to it from now on");
    }
    return std::unique_ptr<HouseholdKeys>(
        new HouseholdKeys(store, std::move(data_dir), clock, cost, pub));
}

bool HouseholdKeys::unlocked() const {
    std::lock_guard lock(mu_);
    return key_ != nullptr;
}

std::shared_ptr<const crypto::HouseholdKey> HouseholdKeys::current() const {
    std::lock_guard lock(mu_);
    return key_;
}

void HouseholdKeys::install(crypto::HouseholdKey key) {
    auto shared = std::make_shared<const crypto::HouseholdKey>(std::move(key));
    std::lock_guard lock(mu_);
    if (!key_) {
        key_ = std::move(shared);
    }
}

void HouseholdKeys::lock() {
    std::shared_ptr<const crypto::HouseholdKey> gone;
    {
        std::lock_guard lock(mu_);
        gone.swap(key_);
    }
    if (gone) {
        spdlog::info("household key wiped from memory: recordings are locked until a login");
    }
}  // `gone` is wiped here, or when the last reader in flight lets go of it

core::Result<crypto::HouseholdKey> HouseholdKeys::open_with_setup_key() {
    HEARTH_ASSIGN_OR_RETURN(auto wrap, store_.household_wrap(kSetupHolder));
    if (!wrap) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the household key was handed over already");
    }
    auto key = crypto::read_secret_file(setup_key_path(), "setup key", kKeyBytes);
    if (!key) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "the setup key (" + setup_key_path().string() +
                              ") is missing or unreadable, so the recordings made so far "
                              "cannot be opened: " + key.error().message);
    }
    return crypto::HouseholdKey::unwrap_with_key(*wrap, *key, public_);
}

void HouseholdKeys::destroy_setup_key() {
    (void)store_.delete_household_wrap(kSetupHolder);
    shred_file(setup_key_path());
}

core::Status HouseholdKeys::wrap_for(const crypto::HouseholdKey& key, core::UserId user,
                                     const crypto::SecretBytes& passphrase) {
    HEARTH_ASSIGN_OR_RETURN(auto wrap, key.wrap_with_passphrase(passphrase, cost_));
    return store_.put_household_wrap(user_wrap_holder(user), user, wrap, clock_.now_us());
}

core::Result<crypto::SecretBytes> HouseholdKeys::make_recovery_wrap(
    const crypto::HouseholdKey& key) {
    HEARTH_ASSIGN_OR_RETURN(auto recovery, crypto::SecretBytes::random(kKeyBytes));
    HEARTH_ASSIGN_OR_RETURN(auto wrap, key.wrap_with_key(recovery));
    HEARTH_TRY(store_.put_household_wrap(kRecoveryHolder, core::UserId(), wrap, clock_.now_us()));
    return recovery;
}

core::Result<crypto::SecretBytes> HouseholdKeys::hand_over(core::UserId owner,
                                                           const crypto::SecretBytes& passphrase) {
    HEARTH_ASSIGN_OR_RETURN(auto key, open_with_setup_key());
    HEARTH_TRY(wrap_for(key, owner, passphrase));
    HEARTH_ASSIGN_OR_RETURN(auto recovery, make_recovery_wrap(key));
    destroy_setup_key();
    install(std::move(key));
    return recovery;
}

core::Status HouseholdKeys::on_passphrase_proven(core::UserId user, bool owner,
                                                 const crypto::SecretBytes& passphrase) {
    HEARTH_ASSIGN_OR_RETURN(auto wrap, store_.household_wrap(user_wrap_holder(user)));
    auto key = current();
    if (key) {
        return wrap ? core::Status{} : wrap_for(*key, user, passphrase);
    }
    if (wrap) {
        HEARTH_ASSIGN_OR_RETURN(auto opened, crypto::HouseholdKey::unwrap_with_passphrase(
                                                 *wrap, passphrase, public_, cost_));
        install(std::move(opened));
        return {};
    }
    HEARTH_ASSIGN_OR_RETURN(auto setup, store_.household_wrap(kSetupHolder));
    if (owner && setup) {
        // A hub set up before the household key existed: its owner takes the key over.
        HEARTH_ASSIGN_OR_RETURN(auto opened, open_with_setup_key());
        HEARTH_TRY(wrap_for(opened, user, passphrase));
        destroy_setup_key();
        install(std::move(opened));
        spdlog::warn("household key handed to an owner at login; make a recovery key in the app");
        return {};
    }
    return make_error(ErrorCode::kNotFound,
                      "this account holds no copy of the household key yet; it gets one at a "
                      "login while recordings are unlocked");
}

core::Status HouseholdKeys::rewrap(core::UserId user, const crypto::SecretBytes& old_passphrase,
                                   const crypto::SecretBytes& new_passphrase) {
    if (auto key = current()) {
        return wrap_for(*key, user, new_passphrase);
    }
    HEARTH_ASSIGN_OR_RETURN(auto wrap, store_.household_wrap(user_wrap_holder(user)));
    if (!wrap) {
        return make_error(ErrorCode::kNotFound, "this account holds no copy of the household key");
    }
    HEARTH_ASSIGN_OR_RETURN(auto opened, crypto::HouseholdKey::unwrap_with_passphrase(
                                             *wrap, old_passphrase, public_, cost_));
    return wrap_for(opened, user, new_passphrase);
}

core::Status HouseholdKeys::forget(core::UserId user) {
    return store_.delete_household_wrap(user_wrap_holder(user));
}

core::Status HouseholdKeys::recover(const crypto::SecretBytes& recovery_key, core::UserId user,
                                    const crypto::SecretBytes& new_passphrase) {
    HEARTH_ASSIGN_OR_RETURN(auto wrap, store_.household_wrap(kRecoveryHolder));
    if (!wrap) {
        return make_error(ErrorCode::kFailedPrecondition, "this hub has no recovery key");
    }
    HEARTH_ASSIGN_OR_RETURN(auto key,
                            crypto::HouseholdKey::unwrap_with_key(*wrap, recovery_key, public_));
    return wrap_for(key, user, new_passphrase);
}

core::Result<crypto::SecretBytes> HouseholdKeys::new_recovery_key() {
    auto key = current();
    if (!key) {
        return locked();
    }
    HEARTH_ASSIGN_OR_RETURN(auto recovery, make_recovery_wrap(*key));
    if (auto setup = store_.household_wrap(kSetupHolder); setup && *setup) {
        destroy_setup_key();
    }
    return recovery;
}

core::Result<crypto::SecretBytes> HouseholdKeys::open_sealed(
    std::span<const std::uint8_t> sealed) const {
    auto key = current();
    if (!key) {
        return locked();
    }
    return key->open_sealed(sealed);
}

}  // namespace hearth::auth
