// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDataMarket
/// @notice A data marketplace. A dataset version registered in the ProvenanceRegistry is listed with its owner (a
///         person or an ERC-8004 agent), its contributors and their royalty shares (summing to 100%), and
///         machine-readable usage terms. Each contributor records a consent (digest of the consent document and its
///         scope), revocable. Buying mints a non-transferable licence token (ERC-721, `licences()`) under the terms;
///         the price is split among the contributors whose consent covers the sale, as pull payments.
///         Compute-to-data: a Training licence is bound to one direct compute job on a provider the terms allow;
///         the seller's node delivers the data only to that provider's operator key, and only the model leaves.
///         Royalties downstream: a model registered in the ProvenanceRegistry with the licensed datasets in its
///         lineage gets a revenue vault that owns the model's ERC-8004 serving agent (so x402 payments to that agent
///         land in the vault); `routeRevenue` sends each dataset the royalty share its licence set, and each dataset
///         splits it among its contributors, exactly to the last unit (cumulative floors; the rounding dust goes to
///         contributor 0, or to the model's beneficiary). The residual party's dust can shrink again when the other
///         parties' floors tick up together, so it is *held* for it: `creditOf` = withdrawable + held (the exact
///         entitlement), `withdraw` pays the withdrawable part only (DataMarket: `withdrawableOf`, `heldOf`,
///         event `CreditHeld`).
///         A model's lineage (what needs licences and earns royalties) is its datasets, each resolved to its nearest
///         listed provenance ancestor, plus those of its base models; see `registerModelRoyalty`.
/// @dev Money conservation (tested as an invariant): token balance of the market == `totalCredits()` == sum of all
///      credits (withdrawable + held), except that tokens sent to the market directly (not through it) make the
///      balance larger for good (no sweep): so clients should check balance >= totalCredits.
///      Listing ids and licence ids start at 1. Amounts are settlement-token base units.
interface IDataMarket {
    // ─────────────────────────────────────────────────────────────────────────────
    // Types
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Access = the data is delivered (encrypted to the holder's key); Training = one compute-to-data run.
    enum LicenceKind {
        Access,
        Training
    }

    /// @notice Why an account was credited.
    enum CreditReason {
        Sale, // a contributor's share of a licence sale
        Royalty, // a contributor's share of a dataset's royalty from a model's revenue
        ModelRevenue // the model's beneficiary: revenue left after the datasets' royalties
    }

    /// @notice Machine-readable usage terms of a listing.
    struct Terms {
        uint96 accessPrice; // price of an Access licence (ignored when computeOnly)
        uint96 trainingPrice; // price of a Training licence (ignored unless trainingAllowed)
        uint16 royaltyBps; // share of a trained model's revenue routed back to this dataset (≤ 10_000)
        bool trainingAllowed; // Training licences are sold
        bool commercialUse; // licences allow commercial use (consent scope must include SCOPE_COMMERCIAL)
        bool attribution; // licensees must credit the dataset
        bool computeOnly; // the data never leaves the seller: no Access licences
        uint32 purposes; // allowed purposes, a bit set in the low 30 bits (names are off chain)
        uint40 expiry; // no sale after this time and every licence ends by it; 0 = no end
        uint32 licenceDuration; // seconds a licence is valid after purchase; 0 = until `expiry`
        bytes32 termsDigest; // digest of the human-readable licence text
        // compute providers (agent ids) allowed to train on the data; empty = any provider (including one run by
        // the buyer, which then receives the data), so a computeOnly listing must name at least one. Training
        // licences are bound against the terms current at binding time.
        uint256[] allowedProviders;
    }

    /// @notice A contributor of records and its share of sales and royalties.
    /// @param recordsRoot Provenance manifest root of this contributor's files (entries as in the dataset manifest).
    struct Contributor {
        address account;
        uint16 shareBps;
        bytes32 recordsRoot;
    }

    /// @notice A contributor's consent. `scope` = purposes bits | SCOPE_TRAINING | SCOPE_COMMERCIAL.
    struct Consent {
        bytes32 documentDigest;
        uint32 scope;
        uint40 givenAt; // 0 = never given
        uint40 revokedAt; // 0 = in force
    }

    struct Listing {
        bytes32 root; // ProvenanceRegistry dataset root
        uint256 parentId; // listing of the previous version, or 0
        address owner; // the seller (for an agent-owned listing: the agent's owner at publication)
        bool agentOwned;
        uint256 ownerAgentId; // meaningful only when agentOwned
        bool active; // false = delisted, no sales
        uint8 contributorCount;
        uint32 consentEpoch; // bumped by every consent given or revoked and every terms change (`buy` checks it)
        uint40 createdAt;
        uint64 sales; // licences sold
        uint256 revenue; // licence revenue (sum of prices)
        uint256 royalties; // royalties received from models
    }

    struct PublishParams {
        bytes32 root;
        uint256 parentId; // 0, or the listing of the provenance parent of `root` (the caller must manage it)
        bool agentOwned;
        uint256 ownerAgentId;
        Terms terms;
        Contributor[] contributors;
    }

    struct Licence {
        uint256 listingId;
        LicenceKind kind;
        uint32 purposes;
        bool commercial;
        uint16 royaltyBps; // snapshot of the terms at purchase
        uint40 issuedAt;
        uint40 expiresAt; // 0 = no end
        uint32 consentEpoch; // the listing's epoch at purchase
        uint256 includedMask; // bit i = contributor i's records are covered (consent covered the sale)
        uint256 price;
        uint256 jobId; // Training: compute job it was bound to, 0 until bound
        uint256 providerId; // Training: the provider allowed to receive the data for that job
        bytes32 model; // Training: weights digest of the model it was used for, 0 until used
    }

    struct ModelRoyalty {
        address vault; // owns the serving agent; x402 revenue lands here
        uint256 agentId; // the model's serving agent (ERC-8004)
        address beneficiary; // gets the revenue left after royalties
        uint256 revenue; // cumulative revenue routed
        uint256[] listingIds; // the listed datasets of its lineage (see `registerModelRoyalty`), ≤ MAX_MODEL_DATASETS
        uint16[] royaltyBps; // per listing, from the licence used
        uint256[] paid; // cumulative royalty paid per listing
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────

    event ListingPublished(
        uint256 indexed listingId,
        bytes32 indexed root,
        address indexed owner,
        uint256 parentId,
        bool agentOwned,
        uint256 ownerAgentId,
        Contributor[] contributors
    );
    /// @notice Emitted at publication (epoch 0) and by every `setTerms`, which bumps the listing's `consentEpoch`.
    event TermsSet(uint256 indexed listingId, Terms terms, uint32 epoch);
    event ListingActiveSet(uint256 indexed listingId, bool active);
    event ConsentGiven(
        uint256 indexed listingId, uint256 indexed index, address indexed account, bytes32 documentDigest, uint32 scope, uint32 epoch
    );
    event ConsentRevoked(uint256 indexed listingId, uint256 indexed index, address indexed account, uint32 epoch);
    event LicenceIssued(
        uint256 indexed licenceId,
        uint256 indexed listingId,
        address indexed holder,
        LicenceKind kind,
        uint32 purposes,
        uint256 price,
        uint40 expiresAt,
        uint256 includedMask,
        uint32 consentEpoch
    );
    event TrainingRunBound(uint256 indexed licenceId, uint256 indexed jobId, uint256 indexed providerId);
    event ModelRoyaltyRegistered(
        bytes32 indexed weightsDigest,
        address indexed vault,
        uint256 indexed agentId,
        address beneficiary,
        uint256[] listingIds,
        uint16[] royaltyBps,
        uint256[] licenceIds
    );
    /// @notice `toBeneficiary` = max(amount − toDatasets, 0). The datasets' cumulative floors can together grow by a
    ///         few units more than `amount`: those units come out of the beneficiary's held dust, so `toDatasets`
    ///         can exceed `amount` and `toDatasets + toBeneficiary` is then not `amount`.
    event RevenueRouted(bytes32 indexed weightsDigest, uint256 amount, uint256 toDatasets, uint256 toBeneficiary);
    event DatasetRoyalty(uint256 indexed listingId, bytes32 indexed weightsDigest, uint256 amount);
    /// @notice `account` was credited `amount`; `ref` is the licence id (Sale) or the model's weights digest.
    event Credited(address indexed account, uint256 indexed listingId, CreditReason reason, bytes32 ref, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    // ─────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────

    error ZeroAddress();
    error UnknownDataset(bytes32 root); // not registered in the ProvenanceRegistry
    error NotRegistrant(bytes32 root, address caller, address registrant);
    error AlreadyListed(bytes32 root, uint256 listingId);
    error UnknownListing(uint256 listingId);
    error NotListingOwner(uint256 listingId, address caller);
    error NotAgentOwner(uint256 agentId, address caller);
    error ParentMismatch(uint256 parentId, bytes32 expectedParentRoot, bytes32 actualParentRoot);
    error NoContributors();
    error TooManyContributors(uint256 count, uint256 max);
    error ZeroShare(uint256 index);
    error DuplicateContributor(address account);
    error SharesNotWhole(uint256 sumBps); // contributor shares must sum to 10_000
    error RevokedInParent(address account); // a contributor who revoked consent in the parent version
    error InvalidTerms(string field, string reason);
    error NotContributor(uint256 listingId, address account);
    error ConsentAlreadyGiven(uint256 listingId, uint256 index);
    error ConsentAlreadyRevoked(uint256 listingId, uint256 index);
    error ConsentNotGiven(uint256 listingId, uint256 index);
    error SignatureExpired(uint256 deadline);
    error InvalidConsentSignature(address account);
    error ListingInactive(uint256 listingId);
    error TermsExpired(uint256 listingId, uint40 expiry);
    error AccessNotOffered(uint256 listingId); // computeOnly
    error TrainingNotAllowed(uint256 listingId);
    error PurposesNotAllowed(uint32 requested, uint32 allowed);
    error ConsentChanged(uint256 listingId, uint32 expectedEpoch, uint32 actualEpoch);
    error NoConsentingContributor(uint256 listingId);
    error PriceAboveMax(uint256 price, uint256 maxPrice);
    error UnknownLicence(uint256 licenceId);
    error NotLicenceHolder(uint256 licenceId, address caller);
    error WrongLicenceKind(uint256 licenceId, LicenceKind expected);
    error LicenceExpired(uint256 licenceId, uint40 expiresAt);
    error LicenceAlreadyBound(uint256 licenceId, uint256 jobId);
    error LicenceAlreadyUsed(uint256 licenceId, bytes32 model);
    error JobNotYours(uint256 jobId, address poster);
    error JobNotDirect(uint256 jobId);
    error JobNotRunnable(uint256 jobId); // not Open or Assigned
    error ProviderNotAllowed(uint256 listingId, uint256 providerId);
    error ProviderNotOffered(uint256 jobId, uint256 providerId); // no offer to / assignment of that provider
    error UnknownModel(bytes32 weightsDigest);
    error NotTrainer(bytes32 weightsDigest, address caller);
    error ModelRoyaltyExists(bytes32 weightsDigest);
    error MissingLicence(bytes32 weightsDigest, bytes32 datasetRoot);
    error LicenceNotInLineage(uint256 licenceId);
    error LicenceJobMismatch(uint256 licenceId, uint256 licenceJobId, uint256 modelJobId);
    error LicenceAfterModel(uint256 licenceId); // issued after the model was registered, or expired before it
    error RoyaltyOverflow(uint256 sumBps);
    error LicenceNotCommercial(uint256 licenceId); // a model royalty earns revenue: its licences must be commercial
    error TooManyDatasets(uint256 count, uint256 max); // listed datasets in a model's lineage
    error UnknownModelRoyalty(bytes32 weightsDigest);
    error NothingToWithdraw(address account);

    // ─────────────────────────────────────────────────────────────────────────────
    // Constants and wiring
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Consent scope bit: the records may be used to train models.
    function SCOPE_TRAINING() external view returns (uint32); // 1 << 31
    /// @notice Consent scope bit: the records may be used commercially.
    function SCOPE_COMMERCIAL() external view returns (uint32); // 1 << 30
    function MAX_CONTRIBUTORS() external view returns (uint256); // 32
    /// @notice Most listed datasets a model's lineage may have (bounds `routeRevenue`'s gas).
    function MAX_MODEL_DATASETS() external view returns (uint256); // 8
    /// @notice EIP-712: Consent(uint256 listingId,address account,bytes32 documentDigest,uint32 scope,uint256 deadline)
    function CONSENT_TYPEHASH() external view returns (bytes32);

    function identityRegistry() external view returns (address);
    function provenanceRegistry() external view returns (address);
    function computeMarket() external view returns (address);
    function token() external view returns (address);
    /// @notice The ERC-721 licence token (non-transferable), deployed by this market.
    function licences() external view returns (address);

    // ─────────────────────────────────────────────────────────────────────────────
    // Listings and consent
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Lists a dataset version. The caller must be its ProvenanceRegistry registrant (and, for an agent-owned
    ///         listing, the agent's owner or agentWallet); a new version of a listing (`parentId != 0`) can only be
    ///         published by whoever manages that listing. Shares must sum to 10_000; a contributor who revoked
    ///         consent in a listed ancestor version (the listed datasets among the root's provenance ancestors, up to
    ///         8 hops) cannot be in this one. A revocation made after this version was listed does not reach it:
    ///         the contributor revokes in every version.
    function publish(PublishParams calldata p) external returns (uint256 listingId);
    /// @notice Owner replaces the terms (licences already sold keep theirs, except that Training licences are bound
    ///         against the current `allowedProviders`). Bumps the listing's `consentEpoch`, so a `buy` quoted under
    ///         the old terms reverts `ConsentChanged`.
    function setTerms(uint256 listingId, Terms calldata terms) external;
    function setActive(uint256 listingId, bool active) external;
    /// @notice The contributor at `index` (msg.sender) consents with the document digest and scope.
    function giveConsent(uint256 listingId, bytes32 documentDigest, uint32 scope) external;
    /// @notice Anyone relays a contributor's EIP-712 consent (ERC-1271 accounts included).
    function giveConsentBySig(
        uint256 listingId,
        address account,
        bytes32 documentDigest,
        uint32 scope,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice The contributor (msg.sender) revokes; final for this listing.
    function revokeConsent(uint256 listingId) external;

    // ─────────────────────────────────────────────────────────────────────────────
    // Licences
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Buys a licence for msg.sender, paying `price` from msg.sender (approve first). Refused when the terms
    ///         expired, the kind is not offered, the purposes are not allowed, the consent epoch moved since the quote
    ///         (a consent given or revoked, or the terms changed), no contributor's consent covers the sale, or the
    ///         price is above `maxPrice`.
    function buy(uint256 listingId, LicenceKind kind, uint32 purposes, uint256 maxPrice, uint32 expectedConsentEpoch)
        external
        returns (uint256 licenceId);
    /// @notice Binds a Training licence to the holder's direct compute job on an allowed provider that was offered
    ///         (or assigned) the job. Once per licence.
    function bindTrainingRun(uint256 licenceId, uint256 jobId, uint256 providerId) external;

    // ─────────────────────────────────────────────────────────────────────────────
    // Royalties
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Registers the revenue split of a model registered in the ProvenanceRegistry. The caller is the trainer
    ///         agent's owner or agentWallet. The lineage is the model's dataset roots and those of its base models
    ///         (`baseModel`, up to 4 models up), each root resolved to its nearest listed provenance ancestor (the
    ///         root itself when listed, else its parent, …, up to 8 hops; none = not in the lineage); at most
    ///         `MAX_MODEL_DATASETS` listings. Every listing of the lineage needs one unused commercial Training
    ///         licence (the model earns revenue) held by the trainer agent's owner or its agentWallet, issued before
    ///         the model, not expired at it, and bound to the model's compute job when bound at all. Deploys the
    ///         model's vault, which registers the serving agent with `agentURI`.
    ///         Royalties then go to all contributors of each listing (by share), including those whose consent did not
    ///         cover the licence used.
    function registerModelRoyalty(bytes32 weightsDigest, uint256[] calldata licenceIds, address beneficiary, string calldata agentURI)
        external
        returns (address vault, uint256 agentId);
    /// @notice Moves the vault's whole balance in and credits datasets (→ contributors) and the beneficiary. Anyone.
    function routeRevenue(bytes32 weightsDigest) external returns (uint256 amount);
    /// @notice Pays msg.sender its withdrawable credit (held dust stays until the other parties' floors take it or
    ///         it becomes withdrawable).
    function withdraw() external returns (uint256 amount);
    function withdrawTo(address to) external returns (uint256 amount);

    // ─────────────────────────────────────────────────────────────────────────────
    // Views
    // ─────────────────────────────────────────────────────────────────────────────

    function listingCount() external view returns (uint256);
    function licenceCount() external view returns (uint256);
    function getListing(uint256 listingId) external view returns (Listing memory);
    function getTerms(uint256 listingId) external view returns (Terms memory);
    function getContributors(uint256 listingId) external view returns (Contributor[] memory);
    function getConsent(uint256 listingId, uint256 index) external view returns (Consent memory);
    function listingOfRoot(bytes32 root) external view returns (uint256 listingId);
    /// @notice Price and covered contributors of a sale now, with the epoch to pass to `buy`.
    function quote(uint256 listingId, LicenceKind kind, uint32 purposes)
        external
        view
        returns (uint256 price, uint256 includedMask, uint32 consentEpoch);
    function getLicence(uint256 licenceId) external view returns (Licence memory);
    function holderOf(uint256 licenceId) external view returns (address);
    /// @notice True while the licence exists and has not expired.
    function isLicenceValid(uint256 licenceId) external view returns (bool);
    function getModelRoyalty(bytes32 weightsDigest) external view returns (ModelRoyalty memory);
    /// @notice Contributor `index`'s cumulative royalty entitlement from `listingId` (exact-split bookkeeping):
    ///         floor(D * share / 10_000) for index > 0 and the rest of D for index 0, D = the listing's cumulative
    ///         royalties. For index 0 it includes the dust held for it (not yet withdrawable).
    function royaltyPaidTo(uint256 listingId, uint256 index) external view returns (uint256);
    /// @notice Credit of `account`: withdrawable plus held dust.
    function creditOf(address account) external view returns (uint256);
    function totalCredits() external view returns (uint256);
}

/// @title IModelRevenueVault
/// @notice Per-model vault (an EIP-1167 clone made by the DataMarket). It owns the model's ERC-8004 serving agent, so
///         x402 payments to that agent land here (the registry sets the registrant, this vault, as the agent's
///         agentWallet, and the payee is the agentWallet, else the owner); only the market moves them out.
interface IModelRevenueVault {
    error NotMarket(address caller);
    error NotBeneficiary(address caller);
    error AlreadyInitialized();

    event AgentURISet(uint256 indexed agentId, string uri);

    function market() external view returns (address);
    function weightsDigest() external view returns (bytes32);
    function agentId() external view returns (uint256);
    /// @notice Called once by the market right after cloning: registers the serving agent with `agentURI`.
    function initialize(bytes32 weightsDigest, address token, address identityRegistry, string calldata agentURI)
        external
        returns (uint256 agentId);
    /// @notice Market only: transfers `amount` to the market.
    function pull(uint256 amount) external;
    /// @notice The model's beneficiary updates the serving agent's registration URI.
    function setAgentURI(string calldata uri) external;
}
