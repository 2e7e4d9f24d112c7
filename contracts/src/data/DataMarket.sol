// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IComputeMarket} from "../compute/interfaces/IComputeMarket.sol";
import {IIdentityRegistry} from "../identity/interfaces/IIdentityRegistry.sol";
import {IProvenanceRegistry} from "../provenance/interfaces/IProvenanceRegistry.sol";
import {DataLicence} from "./DataLicence.sol";
import {IDataMarket, IModelRevenueVault} from "./interfaces/IDataMarket.sol";
import {ModelRevenueVault} from "./ModelRevenueVault.sol";

/// @title DataMarketBase
/// @notice Storage layout, wiring and crediting shared by `DataMarket` and the `DataMarketRoyalties` extension it
///         delegates compute binding and model royalties to.
/// @dev The market's code would exceed the 24,576-byte contract size limit in one piece; both contracts inherit this
///      base, so the extension, reached only through `delegatecall` from the market, sees the market's storage.
abstract contract DataMarketBase is ReentrancyGuardTransient {
    /// @notice The part of `account`'s credit held as residual dust of cumulative royalty splits changed to `held`.
    event CreditHeld(address indexed account, uint256 held);

    uint256 internal constant _BPS = 10_000;
    /// @dev Most listed datasets in a model's lineage (bounds `routeRevenue`).
    uint256 internal constant _MAX_MODEL_DATASETS = 8;
    /// @dev Most provenance parents walked up from a root to its nearest listed ancestor / its listed ancestors.
    uint256 internal constant _MAX_ANCESTRY = 8;
    /// @dev Most base models walked up from a model (`baseModel`) when collecting its lineage.
    uint256 internal constant _MAX_BASE_MODELS = 4;

    /// @dev A listing as stored (6 slots).
    struct ListingData {
        bytes32 root;
        address owner;
        bool agentOwned;
        bool active;
        uint8 contributorCount;
        uint32 consentEpoch;
        uint40 createdAt;
        uint256 parentId;
        uint256 ownerAgentId;
        uint64 sales;
        uint192 revenue;
        uint256 royalties;
    }

    /// @dev A licence as stored: 2 slots written at purchase, the rest at binding / use.
    struct LicenceData {
        uint48 listingId;
        IDataMarket.LicenceKind kind;
        uint32 purposes;
        bool commercial;
        uint16 royaltyBps;
        uint40 issuedAt;
        uint40 expiresAt;
        uint32 consentEpoch;
        uint32 includedMask;
        address holder;
        uint96 price;
        uint256 jobId;
        uint256 providerId;
        bytes32 model;
    }

    /// @dev A model's royalty split as stored.
    struct RoyaltyData {
        address vault;
        address beneficiary;
        uint256 agentId;
        uint256 revenue;
        uint256[] listingIds;
        uint16[] royaltyBps;
    }

    /// @dev What `registerModelRoyalty` checks licences against.
    struct ModelCtx {
        bytes32 weightsDigest;
        uint256 computeJobId;
        uint256 timestamp;
        address owner; // the trainer agent's owner
        address wallet; // the trainer agent's agentWallet
    }

    uint256 internal _listingCount;
    uint256 internal _licenceCount;
    uint256 internal _totalCredits;

    mapping(uint256 listingId => ListingData) internal _listings;
    mapping(uint256 listingId => IDataMarket.Terms) internal _terms;
    mapping(uint256 listingId => IDataMarket.Contributor[]) internal _contributors;
    mapping(uint256 listingId => mapping(uint256 index => IDataMarket.Consent)) internal _consents;
    mapping(uint256 listingId => mapping(address account => uint256 indexPlusOne)) internal _indexOf;
    mapping(bytes32 root => uint256 listingId) internal _listingOfRoot;
    mapping(uint256 licenceId => LicenceData) internal _licenceData;
    mapping(bytes32 weightsDigest => RoyaltyData) internal _royalties;
    mapping(address account => uint256) internal _credits;
    mapping(address account => uint256) internal _held;

    IIdentityRegistry internal immutable _identity;
    IProvenanceRegistry internal immutable _provenance;
    IComputeMarket internal immutable _compute;
    IERC20 internal immutable _token;
    /// @notice The ModelRevenueVault implementation the vaults are cloned from.
    address public immutable vaultImplementation;

    /// @dev Checks and stores the wiring.
    constructor(
        address identityRegistry_,
        address provenanceRegistry_,
        address computeMarket_,
        address token_,
        address vaultImplementation_
    ) {
        if (
            identityRegistry_ == address(0) || provenanceRegistry_ == address(0) || computeMarket_ == address(0)
                || token_ == address(0)
        ) revert IDataMarket.ZeroAddress();
        _identity = IIdentityRegistry(identityRegistry_);
        _provenance = IProvenanceRegistry(provenanceRegistry_);
        _compute = IComputeMarket(computeMarket_);
        _token = IERC20(token_);
        vaultImplementation = vaultImplementation_;
    }

    /// @dev The owner of an existing agent, or `NotAgentOwner` (unknown agent).
    function _agentOwner(uint256 agentId) internal view returns (address owner_) {
        try _identity.ownerOf(agentId) returns (address o) {
            owner_ = o;
        } catch {
            revert IDataMarket.NotAgentOwner(agentId, msg.sender);
        }
    }

    /// @dev Adds to an account's withdrawable credit (the caller accounts `_totalCredits`).
    function _credit(address account, uint256 listingId, IDataMarket.CreditReason reason, bytes32 ref, uint256 amount) internal {
        if (amount == 0) return;
        _credits[account] += amount;
        emit IDataMarket.Credited(account, listingId, reason, ref, amount);
    }
}

/// @title DataMarketRoyalties
/// @notice The `DataMarket`'s extension for compute-to-data binding and model royalties, run only through
///         `delegatecall` from the market (called directly it works on its own empty storage and holds nothing).
contract DataMarketRoyalties is DataMarketBase {
    using SafeERC20 for IERC20;

    /// @dev Same wiring as the market.
    constructor(
        address identityRegistry_,
        address provenanceRegistry_,
        address computeMarket_,
        address token_,
        address vaultImplementation_
    ) DataMarketBase(identityRegistry_, provenanceRegistry_, computeMarket_, token_, vaultImplementation_) {}

    /// @notice See `IDataMarket`.
    /// @dev Checks, in order: `UnknownLicence`, `NotLicenceHolder`, `WrongLicenceKind`, `LicenceExpired`,
    ///      `LicenceAlreadyBound`, `LicenceAlreadyUsed`, `JobNotYours` (also for an unknown job), `JobNotDirect`,
    ///      `JobNotRunnable` (not Open or Assigned), `ProviderNotAllowed` (the listing's current terms),
    ///      `ProviderNotOffered` (no standing offer to the provider and not assigned to it).
    function bindTrainingRun(uint256 licenceId, uint256 jobId, uint256 providerId) external {
        LicenceData storage lic = _licenceData[licenceId];
        uint256 listingId = lic.listingId;
        if (listingId == 0) revert IDataMarket.UnknownLicence(licenceId);
        if (lic.holder != msg.sender) revert IDataMarket.NotLicenceHolder(licenceId, msg.sender);
        if (lic.kind != IDataMarket.LicenceKind.Training) revert IDataMarket.WrongLicenceKind(licenceId, IDataMarket.LicenceKind.Training);
        uint40 expiresAt = lic.expiresAt;
        if (expiresAt != 0 && block.timestamp >= expiresAt) revert IDataMarket.LicenceExpired(licenceId, expiresAt);
        if (lic.jobId != 0) revert IDataMarket.LicenceAlreadyBound(licenceId, lic.jobId);
        if (lic.model != bytes32(0)) revert IDataMarket.LicenceAlreadyUsed(licenceId, lic.model);

        IComputeMarket.Job memory job = _compute.getJob(jobId);
        if (job.poster != msg.sender) revert IDataMarket.JobNotYours(jobId, job.poster);
        if (!job.direct) revert IDataMarket.JobNotDirect(jobId);
        if (job.status != IComputeMarket.JobStatus.Open && job.status != IComputeMarket.JobStatus.Assigned) {
            revert IDataMarket.JobNotRunnable(jobId);
        }
        uint256[] storage allowed = _terms[listingId].allowedProviders;
        uint256 n = allowed.length;
        if (n != 0) {
            bool found;
            for (uint256 i; i < n && !found; ++i) {
                found = allowed[i] == providerId;
            }
            if (!found) revert IDataMarket.ProviderNotAllowed(listingId, providerId);
        }
        if (!_offeredOrAssigned(jobId, providerId)) revert IDataMarket.ProviderNotOffered(jobId, providerId);

        lic.jobId = jobId;
        lic.providerId = providerId;
        emit IDataMarket.TrainingRunBound(licenceId, jobId, providerId);
    }

    /// @notice See `IDataMarket`.
    /// @dev Checks, in order: `ZeroAddress` (beneficiary), `ModelRoyaltyExists`, `UnknownModel`, `NotTrainer`,
    ///      `TooManyDatasets`, then per licence `UnknownLicence`, `WrongLicenceKind`, `LicenceNotCommercial`,
    ///      `NotLicenceHolder` (held by neither the trainer's owner nor its agentWallet), `LicenceAlreadyUsed` (also a
    ///      licence id given twice), `LicenceJobMismatch`, `LicenceAfterModel`, `LicenceNotInLineage` (its dataset is
    ///      not a listing of the lineage, or a licence for that dataset came earlier in `licenceIds`); then
    ///      `MissingLicence` (first listing of the lineage without one), `RoyaltyOverflow`.
    ///      The lineage (deduplicated, in order): for the model, then its base model, … (at most `_MAX_BASE_MODELS`
    ///      base models), each of its `datasetRoots` resolved to the nearest listed one of: the root, its provenance
    ///      parent, … (at most `_MAX_ANCESTRY` parents up; a root without one adds nothing). The vault is
    ///      `cloneDeterministic(vaultImplementation, weightsDigest)`.
    function registerModelRoyalty(
        bytes32 weightsDigest,
        uint256[] calldata licenceIds,
        address beneficiary,
        string calldata agentURI
    ) external nonReentrant returns (address vault, uint256 agentId) {
        if (beneficiary == address(0)) revert IDataMarket.ZeroAddress();
        RoyaltyData storage r = _royalties[weightsDigest];
        if (r.vault != address(0)) revert IDataMarket.ModelRoyaltyExists(weightsDigest);
        (uint256[] memory listingIds, uint16[] memory bps) = _checkModel(weightsDigest, licenceIds);
        r.beneficiary = beneficiary;
        r.listingIds = listingIds;
        r.royaltyBps = bps;
        (vault, agentId) = _deployVault(r, weightsDigest, agentURI);
        _emitRegistered(weightsDigest, r, listingIds, bps, licenceIds);
    }

    /// @notice See `IDataMarket`.
    /// @dev With cumulative revenue R (after this call), dataset j has been credited floor(R * bps_j / 10_000) in
    ///      total and the beneficiary the rest; a dataset's cumulative royalty D (over all models) is split the same
    ///      way among its contributors (contributor i > 0: floor(D * share_i / 10_000), contributor 0 the rest). The
    ///      residual parties' dust is held for them (see the contract's notes). Returns 0 (no event) on an empty vault.
    function routeRevenue(bytes32 weightsDigest) external nonReentrant returns (uint256 amount) {
        RoyaltyData storage r = _royalties[weightsDigest];
        address vault = r.vault;
        if (vault == address(0)) revert IDataMarket.UnknownModelRoyalty(weightsDigest);
        amount = _token.balanceOf(vault);
        if (amount == 0) return 0;
        uint256 oldR = r.revenue;
        uint256 newR = oldR + amount;
        r.revenue = newR;
        uint256 oldDatasets;
        uint256 toDatasets;
        uint256 sumBps;
        uint256 n = r.listingIds.length;
        for (uint256 j; j < n; ++j) {
            uint256 b = r.royaltyBps[j];
            sumBps += b;
            uint256 before = oldR * b / _BPS;
            uint256 delta = newR * b / _BPS - before;
            oldDatasets += before;
            if (delta != 0) {
                toDatasets += delta;
                _royaltyToListing(r.listingIds[j], weightsDigest, delta);
            }
        }
        _creditResidual(
            r.beneficiary,
            0,
            IDataMarket.CreditReason.ModelRevenue,
            weightsDigest,
            [oldR, newR, oldR - oldDatasets, newR - oldDatasets - toDatasets],
            _BPS - sumBps
        );
        _totalCredits += amount;
        // the datasets' floors can together grow by more than `amount` (by fewer units than there are datasets): the
        // difference comes out of the beneficiary's held dust and `toBeneficiary` is then 0
        emit IDataMarket.RevenueRouted(
            weightsDigest, amount, toDatasets, amount > toDatasets ? amount - toDatasets : 0
        );
        IModelRevenueVault(vault).pull(amount);
    }

    /// @notice See `IDataMarket`.
    /// @dev All zero for an unknown model; `paid[j]` = floor(revenue * royaltyBps[j] / 10_000).
    function getModelRoyalty(bytes32 weightsDigest) external view returns (IDataMarket.ModelRoyalty memory out) {
        RoyaltyData storage r = _royalties[weightsDigest];
        out.vault = r.vault;
        out.agentId = r.agentId;
        out.beneficiary = r.beneficiary;
        out.revenue = r.revenue;
        out.listingIds = r.listingIds;
        out.royaltyBps = r.royaltyBps;
        uint256 n = out.royaltyBps.length;
        out.paid = new uint256[](n);
        for (uint256 j; j < n; ++j) {
            out.paid[j] = out.revenue * out.royaltyBps[j] / _BPS;
        }
    }

    /// @notice See `IDataMarket`.
    /// @dev The contributor's entitlement (held dust included): floor(D * share / 10_000) for index > 0, the rest of D
    ///      for index 0, D = the listing's cumulative royalties.
    function royaltyPaidTo(uint256 listingId, uint256 index) external view returns (uint256) {
        IDataMarket.Contributor[] storage cs = _contributors[listingId];
        uint256 n = cs.length;
        if (index >= n) return 0;
        uint256 d = _listings[listingId].royalties;
        if (index != 0) return d * cs[index].shareBps / _BPS;
        uint256 others;
        for (uint256 i = 1; i < n; ++i) {
            others += d * cs[i].shareBps / _BPS;
        }
        return d - others;
    }

    /// @dev The model's trainer checks, then `_useLicences`.
    function _checkModel(bytes32 weightsDigest, uint256[] calldata licenceIds)
        internal
        returns (uint256[] memory listingIds, uint16[] memory bps)
    {
        IProvenanceRegistry.ModelRecord memory m = _provenance.modelOf(weightsDigest);
        if (m.timestamp == 0) revert IDataMarket.UnknownModel(weightsDigest);
        ModelCtx memory ctx = ModelCtx({
            weightsDigest: weightsDigest,
            computeJobId: m.computeJobId,
            timestamp: m.timestamp,
            owner: _agentOwner(m.trainerAgentId),
            wallet: _identity.getAgentWallet(m.trainerAgentId)
        });
        if (msg.sender != ctx.owner && msg.sender != ctx.wallet) revert IDataMarket.NotTrainer(weightsDigest, msg.sender);
        return _useLicences(ctx, _lineage(m), licenceIds);
    }

    /// @dev The listings of a model's lineage (see `registerModelRoyalty`), deduplicated, in order.
    function _lineage(IProvenanceRegistry.ModelRecord memory m) internal view returns (uint256[] memory listingIds) {
        bytes32[] memory roots = m.datasetRoots;
        bytes32 base = m.baseModel;
        for (uint256 depth; base != bytes32(0) && depth < _MAX_BASE_MODELS; ++depth) {
            IProvenanceRegistry.ModelRecord memory b = _provenance.modelOf(base);
            roots = _concat(roots, b.datasetRoots);
            base = b.baseModel;
        }
        uint256 count;
        listingIds = new uint256[](roots.length);
        for (uint256 k; k < roots.length; ++k) {
            uint256 id = _listedAncestor(roots[k]);
            if (id == 0 || _position(listingIds, count, id) < count) continue;
            listingIds[count++] = id;
        }
        if (count > _MAX_MODEL_DATASETS) revert IDataMarket.TooManyDatasets(count, _MAX_MODEL_DATASETS);
        assembly ("memory-safe") {
            mstore(listingIds, count)
        }
    }

    /// @dev The listing of `root` or of its nearest listed provenance ancestor (at most `_MAX_ANCESTRY` up), or 0.
    function _listedAncestor(bytes32 root) internal view returns (uint256 id) {
        for (uint256 hop;; ++hop) {
            id = _listingOfRoot[root];
            if (id != 0 || hop == _MAX_ANCESTRY) return id;
            root = _provenance.datasetOf(root).parent;
            if (root == bytes32(0)) return 0;
        }
    }

    /// @dev `a` followed by `b`.
    function _concat(bytes32[] memory a, bytes32[] memory b) internal pure returns (bytes32[] memory c) {
        if (b.length == 0) return a;
        c = new bytes32[](a.length + b.length);
        for (uint256 i; i < a.length; ++i) {
            c[i] = a[i];
        }
        for (uint256 i; i < b.length; ++i) {
            c[a.length + i] = b[i];
        }
    }

    /// @dev Clones the model's vault, which registers the serving agent.
    function _deployVault(RoyaltyData storage r, bytes32 weightsDigest, string calldata agentURI)
        internal
        returns (address vault, uint256 agentId)
    {
        vault = Clones.cloneDeterministic(vaultImplementation, weightsDigest);
        r.vault = vault;
        agentId = IModelRevenueVault(vault).initialize(weightsDigest, address(_token), address(_identity), agentURI);
        r.agentId = agentId;
    }

    function _emitRegistered(
        bytes32 weightsDigest,
        RoyaltyData storage r,
        uint256[] memory listingIds,
        uint16[] memory bps,
        uint256[] calldata licenceIds
    ) internal {
        emit IDataMarket.ModelRoyaltyRegistered(weightsDigest, r.vault, r.agentId, r.beneficiary, listingIds, bps, licenceIds);
    }

    /// @dev Whether the compute market has a standing offer of `jobId` to `providerId` or assigned it a slot.
    function _offeredOrAssigned(uint256 jobId, uint256 providerId) internal view returns (bool) {
        if (_compute.getOffer(jobId, providerId) != 0) return true;
        IComputeMarket.Assignment[] memory slots = _compute.getAssignments(jobId);
        for (uint256 i; i < slots.length; ++i) {
            if (slots[i].providerId == providerId) return true;
        }
        return false;
    }

    /// @dev Checks the licences against the model's lineage (its listings) and marks them used; returns the listings
    ///      (in lineage order) and the royalty of each (from its licence).
    function _useLicences(ModelCtx memory ctx, uint256[] memory listingIds, uint256[] calldata licenceIds)
        internal
        returns (uint256[] memory, uint16[] memory bps)
    {
        uint256 count = listingIds.length;
        bps = new uint16[](count);
        bool[] memory covered = new bool[](count);
        uint256 sum;
        for (uint256 k; k < licenceIds.length; ++k) {
            uint256 licenceId = licenceIds[k];
            (uint256 listingId, uint16 royaltyBps) = _useLicence(licenceId, ctx);
            uint256 pos = _position(listingIds, count, listingId);
            if (pos == count || covered[pos]) revert IDataMarket.LicenceNotInLineage(licenceId);
            covered[pos] = true;
            bps[pos] = royaltyBps;
            sum += royaltyBps;
        }
        for (uint256 k; k < count; ++k) {
            if (!covered[k]) revert IDataMarket.MissingLicence(ctx.weightsDigest, _listings[listingIds[k]].root);
        }
        if (sum > _BPS) revert IDataMarket.RoyaltyOverflow(sum);
        return (listingIds, bps);
    }

    /// @dev Checks one licence for a model and marks it used; returns its listing and royalty.
    function _useLicence(uint256 licenceId, ModelCtx memory ctx)
        internal
        returns (uint256 listingId, uint16 royaltyBps)
    {
        LicenceData storage lic = _licenceData[licenceId];
        listingId = lic.listingId;
        if (listingId == 0) revert IDataMarket.UnknownLicence(licenceId);
        if (lic.kind != IDataMarket.LicenceKind.Training) revert IDataMarket.WrongLicenceKind(licenceId, IDataMarket.LicenceKind.Training);
        if (!lic.commercial) revert IDataMarket.LicenceNotCommercial(licenceId);
        address holder = lic.holder;
        if (holder != ctx.owner && holder != ctx.wallet) revert IDataMarket.NotLicenceHolder(licenceId, msg.sender);
        if (lic.model != bytes32(0)) revert IDataMarket.LicenceAlreadyUsed(licenceId, lic.model);
        uint256 jobId = lic.jobId;
        if (jobId != 0 && jobId != ctx.computeJobId) revert IDataMarket.LicenceJobMismatch(licenceId, jobId, ctx.computeJobId);
        if (lic.issuedAt > ctx.timestamp || (lic.expiresAt != 0 && lic.expiresAt <= ctx.timestamp)) {
            revert IDataMarket.LicenceAfterModel(licenceId);
        }
        lic.model = ctx.weightsDigest;
        royaltyBps = lic.royaltyBps;
    }

    /// @dev Index of `id` among the first `count` entries of `ids`, or `count`.
    function _position(uint256[] memory ids, uint256 count, uint256 id) internal pure returns (uint256 k) {
        while (k < count && ids[k] != id) {
            ++k;
        }
    }

    /// @dev Adds `delta` to a listing's cumulative royalty D and credits its contributors their cumulative splits.
    function _royaltyToListing(uint256 listingId, bytes32 weightsDigest, uint256 delta) internal {
        uint256[4] memory v; // old D, new D, contributor 0's old and new entitlement
        {
            ListingData storage l = _listings[listingId];
            v[0] = l.royalties;
            v[1] = v[0] + delta;
            l.royalties = v[1];
        }
        emit IDataMarket.DatasetRoyalty(listingId, weightsDigest, delta);
        IDataMarket.Contributor[] storage cs = _contributors[listingId];
        uint256 oldOthers;
        uint256 newOthers;
        for (uint256 i = 1; i < cs.length; ++i) {
            IDataMarket.Contributor storage c = cs[i];
            uint256 before = v[0] * c.shareBps / _BPS;
            uint256 next = v[1] * c.shareBps / _BPS;
            oldOthers += before;
            newOthers += next;
            _credit(c.account, listingId, IDataMarket.CreditReason.Royalty, weightsDigest, next - before);
        }
        v[2] = v[0] - oldOthers;
        v[3] = v[1] - newOthers;
        _creditResidual(cs[0].account, listingId, IDataMarket.CreditReason.Royalty, weightsDigest, v, cs[0].shareBps);
    }

    /// @dev Credits the residual party of a cumulative split whose total went from `v[0]` to `v[1]` and whose
    ///      entitlement went from `v[2]` to `v[3]` (≥ its own cumulative ceil(total * shareBps / 10_000)): the ceil
    ///      part grows (withdrawable), the rest is held.
    function _creditResidual(
        address account,
        uint256 listingId,
        IDataMarket.CreditReason reason,
        bytes32 ref,
        uint256[4] memory v,
        uint256 shareBps
    ) internal {
        uint256 oldPaid = Math.ceilDiv(v[0] * shareBps, _BPS);
        uint256 newPaid = Math.ceilDiv(v[1] * shareBps, _BPS);
        uint256 oldHeld = v[2] - oldPaid;
        uint256 newHeld = v[3] - newPaid;
        if (oldHeld != newHeld) {
            uint256 held = _held[account] + newHeld - oldHeld;
            _held[account] = held;
            emit CreditHeld(account, held);
        }
        _credit(account, listingId, reason, ref, newPaid - oldPaid);
    }
}

/// @title DataMarket
/// @notice The data marketplace of `IDataMarket`: listings of ProvenanceRegistry dataset versions with contributors,
///         consent and terms; non-transferable licences (ERC-721, `licences()`) whose price is split among the
///         contributors whose consent covers the sale; compute-to-data binding of Training licences to direct compute
///         jobs; and per-model revenue vaults (EIP-1167 clones owning the serving agent) whose revenue is routed to the
///         datasets of the model's lineage and on to their contributors, exactly, as pull payments.
/// @dev Rules beyond the interface text:
///      - Terms: `royaltyBps <= 10_000`; `purposes` non-empty and within the low 30 bits; a `computeOnly` listing must
///        allow training and name its providers (at least one); `expiry` 0 or in the future; at most `MAX_PROVIDERS`
///        allowed providers. Every `setTerms` bumps `consentEpoch` (a pending `buy` reverts `ConsentChanged`).
///      - Publish: when the provenance parent of `root` is listed, `parentId` must be that listing (no skipping the
///        revoked-in-parent rule by leaving it 0), and the caller must manage it (`NotListingOwner`). The
///        revoked-in-parent rule covers every listed provenance ancestor up to `_MAX_ANCESTRY` hops (so an unlisted
///        intermediate version does not hide the revocation); only revocations made before publication count.
///      - A model royalty's lineage (see `DataMarketRoyalties.registerModelRoyalty`) follows derived datasets up to
///        their nearest listed ancestor and base models up to `_MAX_BASE_MODELS`; its licences must be commercial.
///      - A sale's `purposes` must be non-empty and a subset of the terms' purposes.
///      - Revocation is final; consent is given once per listing (`ConsentAlreadyGiven`); revoking needs a consent.
///      - Cumulative splits (model revenue R → datasets, dataset royalty D → contributors) credit every party but the
///        residual one (the model's beneficiary, contributor 0) floor(total * bps / 10_000) cumulatively; the residual
///        party is entitled to the rest, which can *decrease* by a few units when the others' floors tick up together
///        (e.g. shares 2/4999/4999 bps: D = 2 → 2 for contributor 0, D = 3 → 1). So the residual party's withdrawable
///        credit grows by ceil(total * its bps / 10_000) cumulatively (never decreasing) and the difference to its
///        entitlement (fewer units than the other parties) is held for it: `creditOf` = withdrawable + held = the exact
///        formula; `withdraw` pays the withdrawable part; held units move to the other parties as their floors grow.
///        Money is conserved at every step: token balance == `totalCredits()` == Σ credits + Σ held.
contract DataMarket is DataMarketBase, IDataMarket, EIP712 {
    using SafeERC20 for IERC20;


    /// @inheritdoc IDataMarket
    uint32 public constant SCOPE_TRAINING = uint32(1 << 31);
    /// @inheritdoc IDataMarket
    uint32 public constant SCOPE_COMMERCIAL = uint32(1 << 30);
    /// @inheritdoc IDataMarket
    uint256 public constant MAX_CONTRIBUTORS = 32;
    /// @inheritdoc IDataMarket
    uint256 public constant MAX_MODEL_DATASETS = _MAX_MODEL_DATASETS;
    /// @notice Most compute providers a listing's terms may name.
    uint256 public constant MAX_PROVIDERS = 32;
    /// @inheritdoc IDataMarket
    bytes32 public constant CONSENT_TYPEHASH =
        keccak256("Consent(uint256 listingId,address account,bytes32 documentDigest,uint32 scope,uint256 deadline)");

    uint32 internal constant _PURPOSE_BITS = (uint32(1) << 30) - 1;

    DataLicence internal immutable _licenceToken;
    /// @notice The `DataMarketRoyalties` extension that runs compute binding and royalties (delegatecall).
    address public immutable royaltyExtension;

    /// @notice Wires the market and deploys its licence token, vault implementation and royalty extension.
    /// @param identityRegistry_ ERC-8004 identity registry (agents: listing owners, trainers, providers, vault agents).
    /// @param provenanceRegistry_ ProvenanceRegistry (dataset versions and model records).
    /// @param computeMarket_ ComputeMarket (compute-to-data jobs).
    /// @param token_ Settlement token prices and revenue are paid in.
    constructor(address identityRegistry_, address provenanceRegistry_, address computeMarket_, address token_)
        DataMarketBase(
            identityRegistry_,
            provenanceRegistry_,
            computeMarket_,
            token_,
            address(new ModelRevenueVault(address(this), token_, identityRegistry_))
        )
        EIP712("Machina Data Market", "1")
    {
        _licenceToken = new DataLicence(address(this));
        royaltyExtension = address(
            new DataMarketRoyalties(
                identityRegistry_, provenanceRegistry_, computeMarket_, token_, vaultImplementation
            )
        );
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Wiring
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDataMarket
    function identityRegistry() external view returns (address) {
        return address(_identity);
    }

    /// @inheritdoc IDataMarket
    function provenanceRegistry() external view returns (address) {
        return address(_provenance);
    }

    /// @inheritdoc IDataMarket
    function computeMarket() external view returns (address) {
        return address(_compute);
    }

    /// @inheritdoc IDataMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IDataMarket
    function licences() external view returns (address) {
        return address(_licenceToken);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Listings and consent
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDataMarket
    /// @dev Checks, in order: `UnknownDataset`, `NotRegistrant`, `AlreadyListed`, (agent-owned) `NotAgentOwner`,
    ///      `UnknownListing` / `NotListingOwner` (parent) / `ParentMismatch`, `InvalidTerms`, then per contributor
    ///      `ZeroAddress`, `ZeroShare`, `DuplicateContributor`, `RevokedInParent` (revoked in any listed ancestor), and
    ///      `NoContributors` / `TooManyContributors` / `SharesNotWhole`.
    function publish(PublishParams calldata p) external returns (uint256 listingId) {
        (address owner_, uint256[] memory ancestors) = _checkPublish(p);
        uint256 agentId = p.agentOwned ? p.ownerAgentId : 0;
        listingId = ++_listingCount;
        uint8 count = _storeContributors(listingId, ancestors, p.contributors);
        ListingData storage l = _listings[listingId];
        l.root = p.root;
        l.owner = owner_;
        l.agentOwned = p.agentOwned;
        l.active = true;
        l.contributorCount = count;
        l.createdAt = uint40(block.timestamp);
        l.parentId = p.parentId;
        l.ownerAgentId = agentId;
        _listingOfRoot[p.root] = listingId;
        emit ListingPublished(listingId, p.root, owner_, p.parentId, p.agentOwned, agentId, p.contributors);
        _storeTerms(listingId, p.terms, 0);
    }

    /// @inheritdoc IDataMarket
    /// @dev The owner is the listing's `owner`, or for an agent-owned listing the agent's current owner or agentWallet.
    ///      Bumps `consentEpoch` (emitted in `TermsSet`).
    function setTerms(uint256 listingId, Terms calldata terms) external {
        ListingData storage l = _ownedListing(listingId);
        _validateTerms(terms);
        _storeTerms(listingId, terms, ++l.consentEpoch);
    }

    /// @inheritdoc IDataMarket
    function setActive(uint256 listingId, bool active) external {
        _ownedListing(listingId).active = active;
        emit ListingActiveSet(listingId, active);
    }

    /// @inheritdoc IDataMarket
    /// @dev Reverts `UnknownListing`, `NotContributor`, `ConsentAlreadyRevoked`, `ConsentAlreadyGiven`.
    function giveConsent(uint256 listingId, bytes32 documentDigest, uint32 scope) external {
        _giveConsent(listingId, _contributorIndex(listingId, msg.sender), msg.sender, documentDigest, scope);
    }

    /// @inheritdoc IDataMarket
    /// @dev EIP-712 `Consent(uint256 listingId,address account,bytes32 documentDigest,uint32 scope,uint256 deadline)`
    ///      in the domain ("Machina Data Market", "1", chainid, this market); ECDSA or ERC-1271 (SignatureChecker).
    ///      Valid while `block.timestamp <= deadline`. A consent is given once, so a signature cannot be replayed.
    function giveConsentBySig(
        uint256 listingId,
        address account,
        bytes32 documentDigest,
        uint32 scope,
        uint256 deadline,
        bytes calldata signature
    ) external {
        uint256 index = _contributorIndex(listingId, account);
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(CONSENT_TYPEHASH, listingId, account, documentDigest, scope, deadline)));
        if (!SignatureChecker.isValidSignatureNowCalldata(account, digest, signature)) {
            revert InvalidConsentSignature(account);
        }
        _giveConsent(listingId, index, account, documentDigest, scope);
    }

    /// @inheritdoc IDataMarket
    /// @dev Reverts `UnknownListing`, `NotContributor`, `ConsentAlreadyRevoked`, `ConsentNotGiven`. Licences already
    ///      sold keep covering the records; royalties of models keep flowing to the contributor.
    function revokeConsent(uint256 listingId) external {
        uint256 index = _contributorIndex(listingId, msg.sender);
        Consent storage c = _consents[listingId][index];
        if (c.revokedAt != 0) revert ConsentAlreadyRevoked(listingId, index);
        if (c.givenAt == 0) revert ConsentNotGiven(listingId, index);
        c.revokedAt = uint40(block.timestamp);
        uint32 epoch = ++_listings[listingId].consentEpoch;
        emit ConsentRevoked(listingId, index, msg.sender, epoch);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Licences
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDataMarket
    /// @dev Checks, in order: `UnknownListing`, `ListingInactive`, `TermsExpired` (at or after `expiry`),
    ///      `AccessNotOffered` / `TrainingNotAllowed`, `PurposesNotAllowed`, `ConsentChanged`,
    ///      `NoConsentingContributor`, `PriceAboveMax`. The licence ends at min(expiry, now + licenceDuration), 0 = none.
    function buy(uint256 listingId, LicenceKind kind, uint32 purposes, uint256 maxPrice, uint32 expectedConsentEpoch)
        external
        nonReentrant
        returns (uint256 licenceId)
    {
        (ListingData storage l, Terms storage t, uint256 price) = _checkSale(listingId, kind, purposes);
        uint32 epoch = l.consentEpoch;
        if (epoch != expectedConsentEpoch) revert ConsentChanged(listingId, expectedConsentEpoch, epoch);
        (uint256 mask, uint256 coveredShares) = _coverage(listingId, _required(kind, purposes, t.commercialUse));
        if (mask == 0) revert NoConsentingContributor(listingId);
        if (price > maxPrice) revert PriceAboveMax(price, maxPrice);

        licenceId = ++_licenceCount;
        uint40 expiresAt = _licenceEnd(t);
        _licenceData[licenceId] = LicenceData({
            listingId: uint48(listingId),
            kind: kind,
            purposes: purposes,
            commercial: t.commercialUse,
            royaltyBps: t.royaltyBps,
            issuedAt: uint40(block.timestamp),
            expiresAt: expiresAt,
            consentEpoch: epoch,
            includedMask: uint32(mask),
            holder: msg.sender,
            price: uint96(price),
            jobId: 0,
            providerId: 0,
            model: bytes32(0)
        });
        l.sales += 1;
        l.revenue += uint192(price);
        emit LicenceIssued(licenceId, listingId, msg.sender, kind, purposes, price, expiresAt, mask, epoch);
        if (price != 0) {
            _totalCredits += price;
            _splitSale(listingId, licenceId, price, mask, coveredShares);
        }
        _licenceToken.mint(msg.sender, licenceId);
        if (price != 0) _token.safeTransferFrom(msg.sender, address(this), price);
    }


    // ─────────────────────────────────────────────────────────────────────────────
    // Royalties
    // ─────────────────────────────────────────────────────────────────────────────






    /// @inheritdoc IDataMarket
    /// @dev Runs in the royalty extension (see `DataMarketRoyalties.bindTrainingRun` for the order of checks).
    function bindTrainingRun(uint256, uint256, uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IDataMarket
    /// @dev Runs in the royalty extension (see `DataMarketRoyalties.registerModelRoyalty` for the order of checks).
    function registerModelRoyalty(bytes32, uint256[] calldata, address, string calldata)
        external
        returns (address vault, uint256 agentId)
    {
        _delegateRaw();
    }

    /// @inheritdoc IDataMarket
    /// @dev Runs in the royalty extension (see `DataMarketRoyalties.routeRevenue`).
    function routeRevenue(bytes32) external returns (uint256 amount) {
        _delegateRaw();
    }

    /// @inheritdoc IDataMarket
    /// @dev Pays the withdrawable credit (`withdrawableOf`); held dust stays (see the contract's notes).
    function withdraw() external nonReentrant returns (uint256 amount) {
        return _withdraw(msg.sender);
    }

    /// @inheritdoc IDataMarket
    function withdrawTo(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        return _withdraw(to);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Views
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDataMarket
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    /// @inheritdoc IDataMarket
    function licenceCount() external view returns (uint256) {
        return _licenceCount;
    }

    /// @inheritdoc IDataMarket
    /// @dev All zero for an unknown listing.
    function getListing(uint256 listingId) external view returns (Listing memory out) {
        ListingData storage l = _listings[listingId];
        out.root = l.root;
        out.parentId = l.parentId;
        out.owner = l.owner;
        out.agentOwned = l.agentOwned;
        out.ownerAgentId = l.ownerAgentId;
        out.active = l.active;
        out.contributorCount = l.contributorCount;
        out.consentEpoch = l.consentEpoch;
        out.createdAt = l.createdAt;
        out.sales = l.sales;
        out.revenue = l.revenue;
        out.royalties = l.royalties;
    }

    /// @inheritdoc IDataMarket
    function getTerms(uint256 listingId) external view returns (Terms memory) {
        return _terms[listingId];
    }

    /// @inheritdoc IDataMarket
    function getContributors(uint256 listingId) external view returns (Contributor[] memory) {
        return _contributors[listingId];
    }

    /// @inheritdoc IDataMarket
    function getConsent(uint256 listingId, uint256 index) external view returns (Consent memory) {
        return _consents[listingId][index];
    }

    /// @inheritdoc IDataMarket
    function listingOfRoot(bytes32 root) external view returns (uint256 listingId) {
        return _listingOfRoot[root];
    }

    /// @inheritdoc IDataMarket
    /// @dev Reverts as `buy` would (but for the epoch and the price cap).
    function quote(uint256 listingId, LicenceKind kind, uint32 purposes)
        external
        view
        returns (uint256 price, uint256 includedMask, uint32 consentEpoch)
    {
        ListingData storage l;
        Terms storage t;
        (l, t, price) = _checkSale(listingId, kind, purposes);
        (includedMask,) = _coverage(listingId, _required(kind, purposes, t.commercialUse));
        if (includedMask == 0) revert NoConsentingContributor(listingId);
        consentEpoch = l.consentEpoch;
    }

    /// @inheritdoc IDataMarket
    /// @dev All zero for an unknown licence.
    function getLicence(uint256 licenceId) external view returns (Licence memory out) {
        LicenceData storage s = _licenceData[licenceId];
        out.listingId = s.listingId;
        out.kind = s.kind;
        out.purposes = s.purposes;
        out.commercial = s.commercial;
        out.royaltyBps = s.royaltyBps;
        out.issuedAt = s.issuedAt;
        out.expiresAt = s.expiresAt;
        out.consentEpoch = s.consentEpoch;
        out.includedMask = s.includedMask;
        out.price = s.price;
        out.jobId = s.jobId;
        out.providerId = s.providerId;
        out.model = s.model;
    }

    /// @inheritdoc IDataMarket
    /// @dev address(0) for an unknown licence.
    function holderOf(uint256 licenceId) external view returns (address) {
        return _licenceData[licenceId].holder;
    }

    /// @inheritdoc IDataMarket
    function isLicenceValid(uint256 licenceId) external view returns (bool) {
        LicenceData storage s = _licenceData[licenceId];
        return s.listingId != 0 && (s.expiresAt == 0 || block.timestamp < s.expiresAt);
    }



    /// @inheritdoc IDataMarket
    /// @dev All zero for an unknown model; `paid[j]` = floor(revenue * royaltyBps[j] / 10_000).
    function getModelRoyalty(bytes32) external view returns (ModelRoyalty memory out) {
        _delegateView();
    }

    /// @inheritdoc IDataMarket
    /// @dev The contributor's entitlement (held dust included): floor(D * share / 10_000) for index > 0, the rest of D
    ///      for index 0, D = the listing's cumulative royalties.
    function royaltyPaidTo(uint256, uint256) external view returns (uint256 amount) {
        _delegateView();
    }

    /// @inheritdoc IDataMarket
    /// @dev Withdrawable credit plus held dust (`withdrawableOf` + `heldOf`).
    function creditOf(address account) external view returns (uint256) {
        return _credits[account] + _held[account];
    }

    /// @notice What `withdraw` would pay `account` now.
    /// @param account The account.
    /// @return The withdrawable credit.
    function withdrawableOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @notice Residual dust of cumulative splits held for `account` (see the contract's notes).
    /// @param account The account.
    /// @return The held amount.
    function heldOf(address account) external view returns (uint256) {
        return _held[account];
    }

    /// @inheritdoc IDataMarket
    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Internals
    // ─────────────────────────────────────────────────────────────────────────────


    /// @dev The publish checks up to the terms; returns the listing's owner and the listed provenance ancestors of
    ///      the root (nearest first, at most `_MAX_ANCESTRY` hops up).
    function _checkPublish(PublishParams calldata p)
        internal
        view
        returns (address owner_, uint256[] memory ancestors)
    {
        bytes32 root = p.root;
        IProvenanceRegistry.DatasetVersion memory d = _provenance.datasetOf(root);
        if (d.version == 0) revert UnknownDataset(root);
        if (d.registrant != msg.sender) revert NotRegistrant(root, msg.sender, d.registrant);
        uint256 existing = _listingOfRoot[root];
        if (existing != 0) revert AlreadyListed(root, existing);
        owner_ = msg.sender;
        if (p.agentOwned) {
            uint256 agentId = p.ownerAgentId;
            owner_ = _agentOwner(agentId);
            if (msg.sender != owner_ && msg.sender != _identity.getAgentWallet(agentId)) {
                revert NotAgentOwner(agentId, msg.sender);
            }
        }
        uint256 parentId = p.parentId;
        if (parentId != 0) {
            bytes32 parentRoot = _ownedListing(parentId).root;
            if (parentRoot != d.parent) revert ParentMismatch(parentId, d.parent, parentRoot);
        } else if (d.parent != bytes32(0) && _listingOfRoot[d.parent] != 0) {
            revert ParentMismatch(0, d.parent, bytes32(0));
        }
        _validateTerms(p.terms);
        ancestors = _listedAncestors(d.parent);
    }

    /// @dev The listings among `root` and its provenance ancestors (`_MAX_ANCESTRY` roots at most), nearest first.
    function _listedAncestors(bytes32 root) internal view returns (uint256[] memory ids) {
        ids = new uint256[](_MAX_ANCESTRY);
        uint256 count;
        for (uint256 hop; root != bytes32(0) && hop < _MAX_ANCESTRY; ++hop) {
            uint256 id = _listingOfRoot[root];
            if (id != 0) ids[count++] = id;
            if (hop + 1 < _MAX_ANCESTRY) root = _provenance.datasetOf(root).parent;
        }
        assembly ("memory-safe") {
            mstore(ids, count)
        }
    }

    /// @dev The listing, when the caller may manage it.
    function _ownedListing(uint256 listingId) internal view returns (ListingData storage l) {
        l = _listings[listingId];
        if (l.root == bytes32(0)) revert UnknownListing(listingId);
        if (l.agentOwned) {
            uint256 agentId = l.ownerAgentId;
            if (msg.sender != _identity.ownerOf(agentId) && msg.sender != _identity.getAgentWallet(agentId)) {
                revert NotListingOwner(listingId, msg.sender);
            }
        } else if (msg.sender != l.owner) {
            revert NotListingOwner(listingId, msg.sender);
        }
    }

    /// @dev The index of contributor `account` of an existing listing.
    function _contributorIndex(uint256 listingId, address account) internal view returns (uint256) {
        if (_listings[listingId].root == bytes32(0)) revert UnknownListing(listingId);
        uint256 i = _indexOf[listingId][account];
        if (i == 0) revert NotContributor(listingId, account);
        return i - 1;
    }

    function _validateTerms(Terms calldata t) internal view {
        if (t.royaltyBps > _BPS) revert InvalidTerms("royaltyBps", "must be at most 10000 (100%)");
        if (t.purposes == 0) revert InvalidTerms("purposes", "must allow at least one purpose");
        if (t.purposes & ~_PURPOSE_BITS != 0) revert InvalidTerms("purposes", "bits 30 and 31 are reserved");
        if (t.computeOnly && !t.trainingAllowed) {
            revert InvalidTerms("computeOnly", "a compute-only listing must allow training");
        }
        if (t.computeOnly && t.allowedProviders.length == 0) {
            revert InvalidTerms("allowedProviders", "a compute-only listing must name its providers");
        }
        if (t.expiry != 0 && t.expiry <= block.timestamp) revert InvalidTerms("expiry", "must be in the future");
        if (t.allowedProviders.length > MAX_PROVIDERS) revert InvalidTerms("allowedProviders", "at most 32");
    }

    function _storeTerms(uint256 listingId, Terms calldata t, uint32 epoch) internal {
        Terms storage s = _terms[listingId];
        s.accessPrice = t.accessPrice;
        s.trainingPrice = t.trainingPrice;
        s.royaltyBps = t.royaltyBps;
        s.trainingAllowed = t.trainingAllowed;
        s.commercialUse = t.commercialUse;
        s.attribution = t.attribution;
        s.computeOnly = t.computeOnly;
        s.purposes = t.purposes;
        s.expiry = t.expiry;
        s.licenceDuration = t.licenceDuration;
        s.termsDigest = t.termsDigest;
        s.allowedProviders = t.allowedProviders;
        emit TermsSet(listingId, t, epoch);
    }

    /// @dev Stores the contributors, refusing one who revoked consent in any of the `ancestors` listings.
    function _storeContributors(uint256 listingId, uint256[] memory ancestors, Contributor[] calldata cs)
        internal
        returns (uint8)
    {
        uint256 n = cs.length;
        if (n == 0) revert NoContributors();
        if (n > MAX_CONTRIBUTORS) revert TooManyContributors(n, MAX_CONTRIBUTORS);
        Contributor[] storage list = _contributors[listingId];
        mapping(address => uint256) storage index = _indexOf[listingId];
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            Contributor calldata c = cs[i];
            address account = c.account;
            if (account == address(0)) revert ZeroAddress();
            if (c.shareBps == 0) revert ZeroShare(i);
            if (index[account] != 0) revert DuplicateContributor(account);
            for (uint256 a; a < ancestors.length; ++a) {
                uint256 ancestor = ancestors[a];
                uint256 p = _indexOf[ancestor][account];
                if (p != 0 && _consents[ancestor][p - 1].revokedAt != 0) revert RevokedInParent(account);
            }
            index[account] = i + 1;
            sum += c.shareBps;
            list.push(c);
        }
        if (sum != _BPS) revert SharesNotWhole(sum);
        return uint8(n);
    }

    function _giveConsent(uint256 listingId, uint256 index, address account, bytes32 documentDigest, uint32 scope)
        internal
    {
        Consent storage c = _consents[listingId][index];
        if (c.revokedAt != 0) revert ConsentAlreadyRevoked(listingId, index);
        if (c.givenAt != 0) revert ConsentAlreadyGiven(listingId, index);
        c.documentDigest = documentDigest;
        c.scope = scope;
        c.givenAt = uint40(block.timestamp);
        uint32 epoch = ++_listings[listingId].consentEpoch;
        emit ConsentGiven(listingId, index, account, documentDigest, scope, epoch);
    }

    /// @dev The sale checks that do not depend on consent; returns the price of the kind.
    function _checkSale(uint256 listingId, LicenceKind kind, uint32 purposes)
        internal
        view
        returns (ListingData storage l, Terms storage t, uint256 price)
    {
        l = _listings[listingId];
        if (l.root == bytes32(0)) revert UnknownListing(listingId);
        if (!l.active) revert ListingInactive(listingId);
        t = _terms[listingId];
        uint40 expiry = t.expiry;
        if (expiry != 0 && block.timestamp >= expiry) revert TermsExpired(listingId, expiry);
        if (kind == LicenceKind.Access) {
            if (t.computeOnly) revert AccessNotOffered(listingId);
            price = t.accessPrice;
        } else {
            if (!t.trainingAllowed) revert TrainingNotAllowed(listingId);
            price = t.trainingPrice;
        }
        uint32 allowed = t.purposes;
        if (purposes == 0 || purposes & ~allowed != 0) revert PurposesNotAllowed(purposes, allowed);
    }

    /// @dev The consent scope a sale needs.
    function _required(LicenceKind kind, uint32 purposes, bool commercial) internal pure returns (uint32 r) {
        r = purposes;
        if (kind == LicenceKind.Training) r |= SCOPE_TRAINING;
        if (commercial) r |= SCOPE_COMMERCIAL;
    }

    /// @dev Contributors whose consent is in force and covers `required`, and the sum of their shares.
    function _coverage(uint256 listingId, uint32 required) internal view returns (uint256 mask, uint256 shares) {
        Contributor[] storage cs = _contributors[listingId];
        mapping(uint256 => Consent) storage consents = _consents[listingId];
        uint256 n = cs.length;
        for (uint256 i; i < n; ++i) {
            Consent storage c = consents[i];
            if (c.givenAt != 0 && c.revokedAt == 0 && c.scope & required == required) {
                mask |= 1 << i;
                shares += cs[i].shareBps;
            }
        }
    }

    /// @dev min(expiry, now + licenceDuration), 0 = none.
    function _licenceEnd(Terms storage t) internal view returns (uint40) {
        uint256 end = t.expiry;
        uint256 duration = t.licenceDuration;
        if (duration != 0) {
            uint256 byDuration = block.timestamp + duration;
            if (end == 0 || byDuration < end) end = byDuration;
        }
        return uint40(end);
    }

    /// @dev Covered contributor i gets floor(price * share_i / coveredShares), the first covered one the remainder.
    function _splitSale(uint256 listingId, uint256 licenceId, uint256 price, uint256 mask, uint256 coveredShares)
        internal
    {
        Contributor[] storage cs = _contributors[listingId];
        uint256 n = cs.length;
        uint256 first = n;
        uint256 given;
        for (uint256 i; i < n; ++i) {
            if (mask & (1 << i) == 0) continue;
            if (first == n) {
                first = i;
                continue;
            }
            Contributor storage c = cs[i];
            uint256 amount = price * c.shareBps / coveredShares;
            given += amount;
            _credit(c.account, listingId, CreditReason.Sale, bytes32(licenceId), amount);
        }
        _credit(cs[first].account, listingId, CreditReason.Sale, bytes32(licenceId), price - given);
    }








    function _withdraw(address to) internal returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        _totalCredits -= amount;
        emit Withdrawn(msg.sender, to, amount);
        _token.safeTransfer(to, amount);
    }

    /// @dev Runs this call's calldata in the royalty extension against this contract's storage and returns or
    ///      reverts with its result.
    function _delegateRaw() private {
        address impl = royaltyExtension;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev `_delegateRaw` for views: the extension's views write nothing, so calling it from a view is sound.
    function _delegateView() private view {
        _asView(_delegateRaw)();
    }

    /// @dev Retypes a non-view internal function pointer as a view one (same code; see `_delegateView`).
    function _asView(function() internal f) private pure returns (function() internal view g) {
        assembly {
            g := f
        }
    }
}
