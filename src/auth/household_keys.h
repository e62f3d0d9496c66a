// The household key's life (design notes: "Encryption at rest"): born at first start,
// held on disk only wrapped, in memory only while someone is logged in.
//
// - First start: a key pair is made; the public half goes to the settings (the recorder
//   seals every segment key to it, so recording needs no secret), the private half is
//   wrapped under a random setup key in `<data_dir>/setup.key` (0600).
// - Setup: the owner's passphrase wrap and a recovery-key wrap replace the setup wrap, and
//   the setup key file is overwritten and removed. The recovery key is returned once.
// - Login: the user's wrap opens the key into guarded memory (only when it is locked). A
//   user without a wrap (added from the CLI, or reset by an administrator) gets one at the
//   first login while the key is open.
// - Passphrase change re-wraps; removing a user removes the wrap (the foreign key does it).
// - lock() wipes it: the account service calls it when the last session ends.
//
// Thread-safety: every method is safe from any thread. Methods that take a passphrase run
// Argon2id (call them off the network threads, like the account service's).
// Errors: kFailedPrecondition "recordings are locked" when a key is needed and none is open.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "crypto/household_key.h"
#include "crypto/password.h"
#include "crypto/secret.h"
#include "store/accounts.h"

namespace hearth::auth {

// The message every locked request gets: what happened and what to do.
inline constexpr const char* kLockedMessage =
    "recordings are locked: nobody has logged in with a passphrase since the hub started; "
    "enter your passphrase to unlock them";

class HouseholdKeys {
public:
    // Loads the household's public key, making the key pair at first start.
    static core::Result<std::unique_ptr<HouseholdKeys>> open(store::AccountStore& store,
                                                             std::filesystem::path data_dir,
                                                             const core::Clock& clock,
                                                             crypto::PasswordCost cost);

    const crypto::PublicKey& public_key() const { return public_; }
    bool unlocked() const;
    // The setup key file: present until setup hands the key to the owner.
    std::filesystem::path setup_key_path() const { return data_dir_ / "setup.key"; }

    // After the owner is created: wraps for them and under a fresh recovery key, destroys
    // the setup key and opens the key. Returns the recovery key (32 bytes, shown once).
    core::Result<crypto::SecretBytes> hand_over(core::UserId owner,
                                                const crypto::SecretBytes& passphrase);
    // After a passphrase was proven for `user` (login, re-authentication): opens the key
    // when locked, and wraps it for a user who has no wrap yet. `owner` lets an owner open
    // a hub that was never handed over (set up before encryption existed).
    core::Status on_passphrase_proven(core::UserId user, bool owner,
                                      const crypto::SecretBytes& passphrase);
    // After `user` chose a new passphrase (they proved the old one): a wrap under the new one.
    core::Status rewrap(core::UserId user, const crypto::SecretBytes& old_passphrase,
                        const crypto::SecretBytes& new_passphrase);
    // An administrator set `user`'s passphrase without the old one: the old wrap goes, and
    // a new one is made at their next login while the key is open.
    core::Status forget(core::UserId user);
    // The recovery key opens the key and wraps it for `user` under `new_passphrase`. The key
    // stays locked (recovering is not logging in). kPermissionDenied for a wrong key.
    core::Status recover(const crypto::SecretBytes& recovery_key, core::UserId user,
                         const crypto::SecretBytes& new_passphrase);
    // A fresh recovery key replacing the old one (the key must be open), shown once.
    core::Result<crypto::SecretBytes> new_recovery_key();

    void lock();
    // Opens a segment key sealed to the household. kFailedPrecondition when locked,
    // kPermissionDenied when it does not open (altered).
    core::Result<crypto::SecretBytes> open_sealed(std::span<const std::uint8_t> sealed) const;

private:
    HouseholdKeys(store::AccountStore& store, std::filesystem::path data_dir,
                  const core::Clock& clock, crypto::PasswordCost cost, crypto::PublicKey pub)
        : store_(store), data_dir_(std::move(data_dir)), clock_(clock), cost_(cost), public_(pub) {}

    std::shared_ptr<const crypto::HouseholdKey> current() const;
    void install(crypto::HouseholdKey key);  // keeps a key already open
    core::Result<crypto::HouseholdKey> open_with_setup_key();
    core::Status wrap_for(const crypto::HouseholdKey& key, core::UserId user,
                          const crypto::SecretBytes& passphrase);
    core::Result<crypto::SecretBytes> make_recovery_wrap(const crypto::HouseholdKey& key);
    void destroy_setup_key();

    store::AccountStore& store_;
    const std::filesystem::path data_dir_;
    const core::Clock& clock_;
    const crypto::PasswordCost cost_;
    const crypto::PublicKey public_;

    mutable std::mutex mu_;
    // Shared so that a reader in flight keeps it alive; lock() drops the hub's reference.
    std::shared_ptr<const crypto::HouseholdKey> key_;  // GUARDED_BY(mu_)
};

// The wrap holder name of a user's passphrase wrap.
std::string user_wrap_holder(core::UserId user);

}  // namespace hearth::auth
