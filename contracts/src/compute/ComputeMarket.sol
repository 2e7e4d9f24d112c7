// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IIdentityRegistry} from "../identity/interfaces/IIdentityRegistry.sol";
import {IInteractionReceipts} from "../identity/interfaces/IInteractionReceipts.sol";
import {IValidationRegistry} from "../identity/interfaces/IValidationRegistry.sol";
import {IComputeMarket} from "./interfaces/IComputeMarket.sol";
import {IComputeMarket as ICM} from "./interfaces/IComputeMarket.sol";

/// @title ComputeMarketBase
/// @notice Storage layout, parameters and settlement rules shared by `ComputeMarket` and the
///         `ComputeMarketSettlement` extension it delegates its dispute and settlement entry points to.
/// @dev The market's code would exceed the 24,576-byte contract size limit in one piece; both contracts inherit
///      this base, so the extension, reached only through `delegatecall` from the market, sees the market's storage.
abstract contract ComputeMarketBase is Ownable2Step, ReentrancyGuardTransient {
    /// @notice `cancel` was called on a job that already has a provider in a slot.
    error JobHasAssignments(uint256 jobId, uint8 assigned);

    /// @dev A job as stored (the interface's `Job` reordered into 8 slots).
    struct JobData {
        // slot 0
        address poster;
        ICM.JobStatus status;
        ICM.Mode mode;
        bool direct;
        uint8 replicas;
        uint8 assigned;
        uint8 committed;
        uint40 postedAt;
        // slot 1
        uint40 deadline;
        uint32 bidWindow;
        uint32 units;
        uint96 maxPricePerUnit;
        uint32 minMemoryMB;
        // slot 2
        uint96 escrow;
        uint40 challengeEndsAt;
        bytes32 workloadDigest;
        bytes32 inputDigest;
        bytes32 deviceKind;
        bytes32 region;
        bytes32 acceptedDigest;
    }

    /// @dev A replica slot as stored (2 slots; provider ids are checked to fit 128 bits at registration).
    struct SlotData {
        uint128 providerId;
        uint96 pricePerUnit;
        bool paid;
        bool slashed;
        bytes32 outputDigest;
    }

    /// @dev An auction bid as stored (1 slot).
    struct BidData {
        uint128 providerId;
        uint96 pricePerUnit;
        uint8 reputation;
    }

    /// @dev Where a paid replica's interaction receipt is read from.
    struct ReceiptRef {
        uint64 jobId;
        uint8 slot;
        uint40 settledAt;
    }

    /// @dev The data fields of `JobPosted`, in order.
    struct PostedData {
        bytes32 inputDigest;
        string workloadURI;
        string inputURI;
        ICM.Needs needs;
        uint96 maxPricePerUnit;
        uint32 units;
        uint40 deadline;
        uint32 bidWindow;
        uint8 replicas;
        ICM.Mode mode;
        bool direct;
        uint256 escrow;
    }

    /// @dev `_membership` value of a provider with a bid in the book but no slot; slots are stored as `slot + 1`.
    uint8 internal constant BIDDER = type(uint8).max;
    /// @dev Arbiter answers below this say the provider's result is wrong.
    uint8 internal constant WRONG_BELOW = 50;
    /// @dev Seconds a slot must leave before the deadline when it is taken (and a posted job after its window).
    uint256 internal constant _MIN_RUN_TIME = 30;
    /// @dev Salted request hashes tried per arbiter before `challenge` gives up (`ValidationRequestBlocked`).
    uint256 internal constant _REQUEST_ATTEMPTS = 8;

    IIdentityRegistry internal immutable _identityRegistry;
    IValidationRegistry internal immutable _validationRegistry;
    IERC20 internal immutable _token;

    uint96 internal immutable _minStake;
    uint96 internal immutable _slashAmount;
    uint96 internal immutable _challengeBond;
    uint32 internal immutable _unstakeCooldown;
    uint32 internal immutable _heartbeatTTL;
    uint32 internal immutable _challengeWindow;
    uint32 internal immutable _resolutionWindow;
    uint16 internal immutable _rewardShareBps;

    uint256 internal _marketAgentId;
    address internal _treasury;
    address[] internal _arbiters;
    uint256 internal _jobCount;

    // Liability counters (token units): open escrow + credits, stakes + bonds.
    uint128 internal _escrowTotal;
    uint128 internal _creditTotal;
    uint128 internal _stakeTotal;
    uint128 internal _bondTotal;

    mapping(uint256 providerId => ICM.Provider) internal _providers;
    mapping(uint256 jobId => JobData) internal _jobs;
    mapping(uint256 jobId => SlotData[]) internal _slots;
    mapping(uint256 jobId => BidData[]) internal _bids;
    mapping(uint256 jobId => mapping(uint256 providerId => uint8)) internal _membership;
    mapping(uint256 jobId => mapping(uint256 providerId => uint96 price)) internal _offers;
    mapping(uint256 jobId => ICM.Challenge) internal _challenges;
    mapping(address account => uint256) internal _credits;
    mapping(bytes32 receiptId => ReceiptRef) internal _receipts;

    /// @dev Checks and stores the parameters. `owner_` zero reverts `ZeroAddress` (not Ownable's error).
    constructor(
        address identityRegistry_,
        address validationRegistry_,
        address token_,
        ICM.Config memory config_,
        address owner_
    ) Ownable(owner_ == address(0) ? address(1) : owner_) {
        if (
            identityRegistry_ == address(0) || validationRegistry_ == address(0) || token_ == address(0)
                || owner_ == address(0)
        ) revert ICM.ZeroAddress();
        if (config_.slashAmount == 0) revert ICM.InvalidConfig("slashAmount");
        if (config_.challengeBond == 0) revert ICM.InvalidConfig("challengeBond");
        if (config_.heartbeatTTL == 0) revert ICM.InvalidConfig("heartbeatTTL");
        if (config_.challengeWindow == 0) revert ICM.InvalidConfig("challengeWindow");
        if (config_.resolutionWindow == 0) revert ICM.InvalidConfig("resolutionWindow");
        if (config_.rewardShareBps > 10_000) revert ICM.InvalidConfig("rewardShareBps");
        _identityRegistry = IIdentityRegistry(identityRegistry_);
        _validationRegistry = IValidationRegistry(validationRegistry_);
        _token = IERC20(token_);
        _minStake = config_.minStake;
        _slashAmount = config_.slashAmount;
        _challengeBond = config_.challengeBond;
        _unstakeCooldown = config_.unstakeCooldown;
        _heartbeatTTL = config_.heartbeatTTL;
        _challengeWindow = config_.challengeWindow;
        _resolutionWindow = config_.resolutionWindow;
        _rewardShareBps = config_.rewardShareBps;
    }

    /// @dev The provider, when the caller is its operator.
    function _operated(uint256 providerId) internal view returns (ICM.Provider storage p) {
        p = _providers[providerId];
        address operator = p.operator;
        if (operator == address(0)) revert ICM.UnknownProvider(providerId);
        if (operator != msg.sender) revert ICM.NotOperator(providerId, msg.sender);
    }

    /// @dev Whether the provider may take a slot of `j` now; with `strict`, reverts with the reason instead.
    function _eligible(uint256 providerId, ICM.Provider storage p, JobData storage j, bool strict)
        internal
        view
        returns (bool)
    {
        if (p.unstakeAt != 0) {
            if (strict) revert ICM.ProviderUnstaking(providerId);
            return false;
        }
        uint40 last = p.lastHeartbeat;
        if (block.timestamp > uint256(last) + _heartbeatTTL) {
            if (strict) revert ICM.ProviderNotLive(providerId, last);
            return false;
        }
        if (p.activeJobs >= p.resources.deviceCount) {
            if (strict) revert ICM.NoFreeCapacity(providerId);
            return false;
        }
        uint256 free = uint256(p.stake) - p.locked;
        uint256 needed = _minStake > _slashAmount ? _minStake : _slashAmount;
        if (free < needed) {
            if (strict) revert ICM.InsufficientStake(providerId, free, needed);
            return false;
        }
        if (p.resources.deviceKind != j.deviceKind) {
            if (strict) revert ICM.ResourcesMismatch(providerId, "deviceKind");
            return false;
        }
        if (p.resources.memoryMB < j.minMemoryMB) {
            if (strict) revert ICM.ResourcesMismatch(providerId, "memoryMB");
            return false;
        }
        bytes32 region = j.region;
        if (region != bytes32(0) && p.resources.region != region) {
            if (strict) revert ICM.ResourcesMismatch(providerId, "region");
            return false;
        }
        return true;
    }

    /// @dev Gives the next free slot of `j` to the provider and locks `slashAmount` of its stake.
    function _assignSlot(uint256 jobId, JobData storage j, uint256 providerId, ICM.Provider storage p, uint96 price)
        internal
    {
        uint8 slot = j.assigned;
        _slots[jobId].push(
            SlotData({
                providerId: uint128(providerId),
                pricePerUnit: price,
                paid: false,
                slashed: false,
                outputDigest: bytes32(0)
            })
        );
        _membership[jobId][providerId] = slot + 1;
        uint8 assigned = slot + 1;
        j.assigned = assigned;
        if (assigned == j.replicas) j.status = ICM.JobStatus.Assigned;
        p.locked += _slashAmount;
        p.activeJobs += 1;
        emit ICM.Assigned(jobId, providerId, slot, price);
    }

    /// @dev Reverts unless a slot of `j` taken now leaves at least `_MIN_RUN_TIME` before the deadline.
    function _requireRunTime(uint256 jobId, JobData storage j) internal view {
        uint40 deadline = j.deadline;
        if (block.timestamp >= deadline) revert ICM.DeadlinePassed(jobId, deadline);
        if (block.timestamp + _MIN_RUN_TIME > deadline) revert ICM.NoTimeToRun(jobId, deadline);
    }

    /// @dev keccak256(abi.encode(address(this), jobId, providerId)).
    function _receiptId(uint256 jobId, uint256 providerId) internal view returns (bytes32) {
        return keccak256(abi.encode(address(this), jobId, providerId));
    }

    /// @dev The job, or `UnknownJob`.
    function _job(uint256 jobId) internal view returns (JobData storage j) {
        j = _jobs[jobId];
        if (j.status == ICM.JobStatus.None) revert ICM.UnknownJob(jobId);
    }

    /// @dev Settles an Assigned Redundant job: missing results are no-shows (slashed to the treasury), the digest
    ///      committed by a strict majority of `replicas` wins, the minority is slashed; with no majority the
    ///      committed providers are released unpaid and unslashed.
    function _settleRedundant(uint256 jobId, JobData storage j) internal {
        SlotData[] storage slots = _slots[jobId];
        uint256 n = slots.length;
        bytes32[] memory digests = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            digests[i] = slots[i].outputDigest;
        }
        bytes32 winner;
        uint256 winners;
        for (uint256 i; i < n && winner == bytes32(0); ++i) {
            if (digests[i] == bytes32(0)) continue;
            uint256 count;
            for (uint256 k; k < n; ++k) {
                if (digests[k] == digests[i]) ++count;
            }
            if (count * 2 > j.replicas) (winner, winners) = (digests[i], count);
        }
        address[] memory operators = new address[](winners);
        uint256 w;
        for (uint256 i; i < n; ++i) {
            SlotData storage s = slots[i];
            bytes32 d = digests[i];
            if (d == bytes32(0)) {
                _slash(jobId, s, ICM.SlashReason.NoShow, _treasury);
            } else if (winner == bytes32(0)) {
                _release(s.providerId);
            } else if (d == winner) {
                operators[w++] = _pay(jobId, j, s, uint8(i));
            }
        }
        if (winner != bytes32(0)) {
            for (uint256 i; i < n; ++i) {
                bytes32 d = digests[i];
                if (d != bytes32(0) && d != winner) _slashSplit(jobId, slots[i], operators);
            }
        }
        _close(jobId, j, winner == bytes32(0) ? ICM.JobStatus.Failed : ICM.JobStatus.Completed, winner);
    }

    /// @dev Credits a slot's provider its price * units from the job's escrow, stores its receipt, unlocks its stake.
    function _pay(uint256 jobId, JobData storage j, SlotData storage s, uint8 slot)
        internal
        returns (address operator)
    {
        uint256 providerId = s.providerId;
        uint256 amount = uint256(s.pricePerUnit) * j.units;
        s.paid = true;
        j.escrow -= uint96(amount);
        _escrowTotal -= uint128(amount);
        ICM.Provider storage p = _providers[providerId];
        p.locked -= _slashAmount;
        p.activeJobs -= 1;
        p.completed += 1;
        operator = p.operator;
        bytes32 receiptId = _receiptId(jobId, providerId);
        _receipts[receiptId] = ReceiptRef({jobId: uint64(jobId), slot: slot, settledAt: uint40(block.timestamp)});
        emit ICM.ProviderPaid(jobId, providerId, amount, receiptId);
        _credit(operator, amount);
    }

    /// @dev Unlocks a slot's provider without paying or slashing it.
    function _release(uint256 providerId) internal {
        ICM.Provider storage p = _providers[providerId];
        p.locked -= _slashAmount;
        p.activeJobs -= 1;
    }

    /// @dev Takes min(slashAmount, stake) from a slot's provider; `rewardShareBps` of it to `beneficiary`, the rest
    ///      to the treasury.
    function _slash(uint256 jobId, SlotData storage s, ICM.SlashReason reason, address beneficiary) internal {
        uint256 amount = _takeSlash(s);
        uint256 reward = amount * _rewardShareBps / 10_000;
        emit ICM.Slashed(s.providerId, jobId, reason, amount, beneficiary, reward);
        _credit(beneficiary, reward);
        _credit(_treasury, amount - reward);
    }

    /// @dev A minority slash whose reward share is split equally among the majority's operators.
    function _slashSplit(uint256 jobId, SlotData storage s, address[] memory operators) internal {
        uint256 amount = _takeSlash(s);
        uint256 reward = amount * _rewardShareBps / 10_000;
        uint256 n = operators.length;
        uint256 each = reward / n;
        emit ICM.Slashed(
            s.providerId, jobId, ICM.SlashReason.WrongResult, amount, n == 1 ? operators[0] : address(0), reward
        );
        for (uint256 i; i < n; ++i) {
            _credit(operators[i], each);
        }
        _credit(_treasury, amount - each * n);
    }

    /// @dev Marks the slot slashed, unlocks and debits the provider's stake; returns the amount taken.
    function _takeSlash(SlotData storage s) internal returns (uint256 amount) {
        s.slashed = true;
        ICM.Provider storage p = _providers[s.providerId];
        uint96 slashAmount = _slashAmount;
        uint96 stake_ = p.stake;
        amount = slashAmount < stake_ ? slashAmount : stake_;
        p.stake = stake_ - uint96(amount);
        p.locked -= slashAmount;
        p.activeJobs -= 1;
        p.slashes += 1;
        _stakeTotal -= uint128(amount);
    }

    /// @dev Ends a job: its remaining escrow is credited to the poster.
    function _close(uint256 jobId, JobData storage j, ICM.JobStatus status, bytes32 acceptedDigest) internal {
        uint256 refund = j.escrow;
        j.status = status;
        if (acceptedDigest != bytes32(0)) j.acceptedDigest = acceptedDigest;
        if (refund != 0) {
            j.escrow = 0;
            _escrowTotal -= uint128(refund);
            _credit(j.poster, refund);
        }
        emit ICM.JobFinalized(jobId, status, acceptedDigest, refund);
    }

    /// @dev Adds to an account's credit; callers take the same amount out of escrow, stakes or bonds.
    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        uint256 balance = _credits[account] + amount;
        _credits[account] = balance;
        _creditTotal += uint128(amount);
        emit ICM.Credited(account, amount, balance);
    }

    /// @dev Counts the arbiters' answers given by `resolveBy` (below 50 for the challenger, otherwise for the
    ///      provider). Defence in depth: only requests the market opened (its agent id) count. Their validator is
    ///      the arbiter asked by construction: a hash is stored only once the market's own request under it was
    ///      accepted, and the registry never changes a request's validator or agent.
    function _tally(ICM.Challenge storage c)
        internal
        view
        returns (uint8 forProvider, uint8 forChallenger, uint256 asked)
    {
        bytes32[] storage hashes = c.requestHashes;
        asked = hashes.length;
        uint256 by = c.resolveBy;
        uint256 agent = _marketAgentId;
        for (uint256 i; i < asked; ++i) {
            bytes32 h = hashes[i];
            if (!_validationRegistry.hasResponse(h)) continue;
            (address validator, uint256 agentId, uint8 response,,, uint256 lastUpdate) =
                _validationRegistry.getValidationStatus(h);
            if (validator == address(0) || agentId != agent || lastUpdate > by) continue;
            if (response < WRONG_BELOW) ++forChallenger;
            else ++forProvider;
        }
    }
}

/// @title ComputeMarketSettlement
/// @notice The dispute and settlement half of `ComputeMarket`, deployed by its constructor and reached only through
///         `delegatecall` from it (calls made to this contract directly see its own, empty storage and revert).
contract ComputeMarketSettlement is ComputeMarketBase {
    using SafeERC20 for IERC20;

    /// @param identityRegistry_   As the market's.
    /// @param validationRegistry_ As the market's.
    /// @param token_              As the market's.
    /// @param config_             As the market's.
    constructor(address identityRegistry_, address validationRegistry_, address token_, ICM.Config memory config_)
        ComputeMarketBase(identityRegistry_, validationRegistry_, token_, config_, msg.sender)
    {}

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    /// @dev Reverts `ChallengeWindowClosed` for a job with no open window (not optimistic, not committed, or past it).
    function challenge(uint256 jobId, bytes32 claimedDigest) external nonReentrant {
        JobData storage j = _job(jobId);
        if (j.status != ICM.JobStatus.Assigned) revert ICM.WrongStatus(jobId, j.status);
        uint40 endsAt = j.challengeEndsAt;
        if (j.mode != ICM.Mode.Optimistic || endsAt == 0 || block.timestamp >= endsAt) {
            revert ICM.ChallengeWindowClosed(jobId);
        }
        if (claimedDigest == bytes32(0)) revert ICM.ZeroDigest();
        if (claimedDigest == _slots[jobId][0].outputDigest) revert ICM.SameDigest(jobId);
        uint256 n = _arbiters.length;
        if (n == 0) revert ICM.NoArbiters();

        j.status = ICM.JobStatus.Challenged;
        ICM.Challenge storage c = _challenges[jobId];
        c.challenger = msg.sender;
        c.claimedDigest = claimedDigest;
        uint40 resolveBy = uint40(block.timestamp + _resolutionWindow);
        c.resolveBy = resolveBy;
        uint96 bond = _challengeBond;
        _bondTotal += bond;
        string memory uri = string.concat("machina:compute:", Strings.toString(jobId));
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = _request(jobId, _arbiters[i], uri);
        }
        c.requestHashes = hashes;
        emit ICM.ChallengeOpened(jobId, msg.sender, claimedDigest, resolveBy, hashes);
        _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @dev Opens the market's validation request to `arbiter` under a salted hash nobody could register before
    ///      this block (it depends on the challenger and `block.prevrandao`); a hash already taken (squatted) is
    ///      re-salted, up to `_REQUEST_ATTEMPTS` times. Other registry errors are passed through.
    function _request(uint256 jobId, address arbiter, string memory uri) private returns (bytes32 h) {
        for (uint256 attempt; attempt < _REQUEST_ATTEMPTS; ++attempt) {
            h = keccak256(abi.encode(address(this), jobId, arbiter, msg.sender, block.prevrandao, attempt));
            try _validationRegistry.validationRequest(arbiter, _marketAgentId, uri, h) {
                return h;
            } catch (bytes memory err) {
                if (bytes4(err) != IValidationRegistry.RequestAlreadyExists.selector) {
                    assembly ("memory-safe") {
                        revert(add(err, 0x20), mload(err))
                    }
                }
            }
        }
        revert ICM.ValidationRequestBlocked(jobId, arbiter);
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    function resolveChallenge(uint256 jobId) external nonReentrant {
        JobData storage j = _job(jobId);
        if (j.status != ICM.JobStatus.Challenged) revert ICM.WrongStatus(jobId, j.status);
        ICM.Challenge storage c = _challenges[jobId];
        (uint8 forProvider, uint8 forChallenger, uint256 asked) = _tally(c);
        uint256 answered = uint256(forProvider) + forChallenger;
        if (answered < asked && block.timestamp <= c.resolveBy) {
            revert ICM.ChallengeNotResolvable(jobId, "awaiting answers");
        }
        bool quorum = answered * 2 > asked;
        bool upheld = quorum && uint256(forChallenger) * 2 > answered;
        c.resolved = true;
        c.upheld = upheld;
        if (!quorum) emit ICM.ChallengeNoQuorum(jobId, uint8(answered), uint8(asked));
        emit ICM.ChallengeResolved(jobId, upheld, forProvider, forChallenger);

        uint96 bond = _challengeBond;
        _bondTotal -= bond;
        SlotData storage s = _slots[jobId][0];
        if (upheld) {
            _credit(c.challenger, bond);
            _slash(jobId, s, ICM.SlashReason.ChallengeUpheld, c.challenger);
            _close(jobId, j, ICM.JobStatus.Failed, bytes32(0));
        } else {
            _credit(quorum ? _providers[s.providerId].operator : c.challenger, bond);
            _payOptimistic(jobId, j);
        }
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    function acceptResult(uint256 jobId) external nonReentrant {
        JobData storage j = _job(jobId);
        if (j.poster != msg.sender) revert ICM.NotPoster(jobId, msg.sender);
        if (j.status != ICM.JobStatus.Assigned) revert ICM.WrongStatus(jobId, j.status);
        if (j.mode != ICM.Mode.Optimistic || j.committed == 0) revert ICM.NoResultToAccept(jobId);
        emit ICM.ResultAccepted(jobId, msg.sender);
        _payOptimistic(jobId, j);
    }

    /// @dev Pays an optimistic job's provider and completes the job with its result.
    function _payOptimistic(uint256 jobId, JobData storage j) private {
        SlotData storage s = _slots[jobId][0];
        _pay(jobId, j, s, 0);
        _close(jobId, j, ICM.JobStatus.Completed, s.outputDigest);
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    function finalize(uint256 jobId) external nonReentrant {
        JobData storage j = _job(jobId);
        ICM.JobStatus status = j.status;
        if (status == ICM.JobStatus.Open) {
            if (block.timestamp < j.deadline) revert ICM.NotFinalizable(jobId, "deadline not reached");
            // Not fully assigned: nobody could commit, so nobody is at fault; slots are released unpaid.
            SlotData[] storage slots = _slots[jobId];
            uint256 n = slots.length;
            for (uint256 i; i < n; ++i) {
                _release(slots[i].providerId);
            }
            _close(jobId, j, ICM.JobStatus.Expired, bytes32(0));
        } else if (status == ICM.JobStatus.Assigned) {
            if (j.mode == ICM.Mode.Redundant) {
                if (block.timestamp < j.deadline) revert ICM.NotFinalizable(jobId, "deadline not reached");
                _settleRedundant(jobId, j);
            } else if (j.committed != 0) {
                if (block.timestamp < j.challengeEndsAt) revert ICM.NotFinalizable(jobId, "challenge window open");
                _payOptimistic(jobId, j);
            } else {
                if (block.timestamp < j.deadline) revert ICM.NotFinalizable(jobId, "deadline not reached");
                _slash(jobId, _slots[jobId][0], ICM.SlashReason.NoShow, _treasury);
                _close(jobId, j, ICM.JobStatus.Failed, bytes32(0));
            }
        } else if (status == ICM.JobStatus.Challenged) {
            revert ICM.NotFinalizable(jobId, "challenged");
        } else {
            revert ICM.WrongStatus(jobId, status);
        }
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function config() external view returns (ICM.Config memory) {
        return ICM.Config({
            minStake: _minStake,
            slashAmount: _slashAmount,
            challengeBond: _challengeBond,
            unstakeCooldown: _unstakeCooldown,
            heartbeatTTL: _heartbeatTTL,
            challengeWindow: _challengeWindow,
            resolutionWindow: _resolutionWindow,
            rewardShareBps: _rewardShareBps
        });
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function getProvider(uint256 providerId) external view returns (ICM.Provider memory) {
        return _providers[providerId];
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function getJob(uint256 jobId) external view returns (ICM.Job memory job) {
        JobData storage j = _jobs[jobId];
        job.poster = j.poster;
        job.status = j.status;
        job.mode = j.mode;
        job.direct = j.direct;
        job.replicas = j.replicas;
        job.assigned = j.assigned;
        job.committed = j.committed;
        job.postedAt = j.postedAt;
        job.deadline = j.deadline;
        job.bidWindow = j.bidWindow;
        job.units = j.units;
        job.maxPricePerUnit = j.maxPricePerUnit;
        job.escrow = j.escrow;
        job.workloadDigest = j.workloadDigest;
        job.inputDigest = j.inputDigest;
        job.acceptedDigest = j.acceptedDigest;
        job.needs = ICM.Needs({deviceKind: j.deviceKind, minMemoryMB: j.minMemoryMB, region: j.region});
        job.challengeEndsAt = j.challengeEndsAt;
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function getAssignments(uint256 jobId) external view returns (ICM.Assignment[] memory out) {
        SlotData[] storage slots = _slots[jobId];
        out = new ICM.Assignment[](slots.length);
        for (uint256 i; i < out.length; ++i) {
            SlotData storage s = slots[i];
            out[i] = ICM.Assignment({
                providerId: s.providerId,
                pricePerUnit: s.pricePerUnit,
                outputDigest: s.outputDigest,
                paid: s.paid,
                slashed: s.slashed
            });
        }
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function getBids(uint256 jobId) external view returns (ICM.Bid[] memory out) {
        BidData[] storage book = _bids[jobId];
        out = new ICM.Bid[](book.length);
        for (uint256 i; i < out.length; ++i) {
            BidData memory b = book[i];
            out[i] = ICM.Bid({providerId: b.providerId, pricePerUnit: b.pricePerUnit, reputation: b.reputation});
        }
    }

    /// @notice See `IComputeMarket`; the market delegates this view here.
    function getChallenge(uint256 jobId) external view returns (ICM.Challenge memory) {
        return _challenges[jobId];
    }

    /// @notice See `IInteractionReceipts`; the market delegates this view here.
    /// @dev One receipt per paid replica: client = poster, agentId = provider, asset = token, amount = price * units.
    function interactionReceipt(bytes32 receiptId)
        external
        view
        returns (IInteractionReceipts.InteractionReceipt memory receipt)
    {
        ReceiptRef memory ref = _receipts[receiptId];
        if (ref.settledAt == 0) return receipt;
        JobData storage j = _jobs[ref.jobId];
        SlotData storage s = _slots[ref.jobId][ref.slot];
        receipt = IInteractionReceipts.InteractionReceipt({
            client: j.poster,
            agentId: s.providerId,
            asset: address(_token),
            amount: uint256(s.pricePerUnit) * j.units,
            settledAt: ref.settledAt
        });
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    function cancel(uint256 jobId) external nonReentrant {
        JobData storage j = _job(jobId);
        if (j.poster != msg.sender) revert ICM.NotPoster(jobId, msg.sender);
        if (j.status != ICM.JobStatus.Open) revert ICM.WrongStatus(jobId, j.status);
        if (j.assigned != 0) revert JobHasAssignments(jobId, j.assigned);
        uint256 refund = j.escrow;
        j.status = ICM.JobStatus.Cancelled;
        j.escrow = 0;
        _escrowTotal -= uint128(refund);
        _credit(msg.sender, refund);
        emit ICM.JobCancelled(jobId, refund);
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    /// @dev Bids whose provider is no longer eligible (unstaking, not live, full, short of free stake, resources
    ///      changed) are skipped. The auction is closed either way (`bidWindow` set to 0), so the slots left are
    ///      taken by the first eligible bids after it: bids that lock nothing cannot kill a job. Every bidder not
    ///      given a slot may bid again. The book is kept (`getBids`) as a record.
    function assign(uint256 jobId) external {
        JobData storage j = _job(jobId);
        if (j.direct) revert ICM.NotAuction(jobId);
        if (j.status != ICM.JobStatus.Open) revert ICM.WrongStatus(jobId, j.status);
        uint32 window = j.bidWindow;
        uint40 closesAt = uint40(uint256(j.postedAt) + window);
        if (block.timestamp < closesAt) revert ICM.BidWindowOpen(jobId, closesAt);
        _requireRunTime(jobId, j);
        if (window == 0) revert ICM.NotEnoughBids(jobId, 0, j.replicas - j.assigned);
        BidData[] storage book = _bids[jobId];
        uint256 n = book.length;
        for (uint256 i; i < n; ++i) {
            BidData memory b = book[i];
            delete _membership[jobId][b.providerId];
            if (j.status != ICM.JobStatus.Open) continue;
            ICM.Provider storage p = _providers[b.providerId];
            if (_eligible(b.providerId, p, j, false)) _assignSlot(jobId, j, b.providerId, p, b.pricePerUnit);
        }
        j.bidWindow = 0;
        uint8 assigned = j.assigned;
        emit ICM.AuctionClosed(jobId, assigned, j.replicas - assigned);
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    /// @dev Offering again to the same provider may only keep or raise the price, so a pending `accept` can never be
    ///      front-run with a lower one. Offers may outnumber slots: first accepted wins.
    function offer(uint256 jobId, uint256 providerId, uint96 pricePerUnit) external {
        JobData storage j = _job(jobId);
        if (j.poster != msg.sender) revert ICM.NotPoster(jobId, msg.sender);
        if (!j.direct) revert ICM.NotDirect(jobId);
        if (j.status != ICM.JobStatus.Open) revert ICM.WrongStatus(jobId, j.status);
        if (block.timestamp >= j.deadline) revert ICM.DeadlinePassed(jobId, j.deadline);
        if (pricePerUnit == 0) revert ICM.ZeroAmount();
        if (pricePerUnit > j.maxPricePerUnit) revert ICM.PriceTooHigh(jobId, pricePerUnit, j.maxPricePerUnit);
        if (_providers[providerId].operator == address(0)) revert ICM.UnknownProvider(providerId);
        if (_membership[jobId][providerId] != 0) revert ICM.AlreadyInJob(jobId, providerId);
        uint96 current = _offers[jobId][providerId];
        if (pricePerUnit < current) revert ICM.OfferLowered(jobId, providerId, current);
        _offers[jobId][providerId] = pricePerUnit;
        emit ICM.Offered(jobId, providerId, pricePerUnit);
    }

    /// @notice See `IComputeMarket`; runs in the market's storage through `delegatecall`.
    /// @dev The offer is consumed (`getOffer` returns 0 afterwards).
    function accept(uint256 jobId, uint256 providerId) external {
        JobData storage j = _job(jobId);
        if (!j.direct) revert ICM.NotDirect(jobId);
        if (j.status != ICM.JobStatus.Open) revert ICM.WrongStatus(jobId, j.status);
        _requireRunTime(jobId, j);
        ICM.Provider storage p = _operated(providerId);
        uint96 price = _offers[jobId][providerId];
        if (price == 0) revert ICM.NoOffer(jobId, providerId);
        if (_membership[jobId][providerId] != 0) revert ICM.AlreadyInJob(jobId, providerId);
        _eligible(providerId, p, j, true);
        delete _offers[jobId][providerId];
        _assignSlot(jobId, j, providerId, p, price);
    }

    /// @notice Settles a Redundant job whose every replica committed (the market calls it from `commitResult`).
    function settleRedundant(uint256 jobId) external {
        _settleRedundant(jobId, _job(jobId));
    }
}

/// @title ComputeMarket
/// @notice A compute market of staked ERC-8004 providers: buyers post jobs with escrow, providers win them by
///         reverse auction or direct offer, results are verified by redundant execution or optimistically (a
///         challenge decided by the market's ERC-8004 validation requests to its arbiters), winners are paid,
///         cheaters and no-shows slashed. Every payout is a credit pulled with `withdraw`.
/// @dev Rules the interface leaves open, fixed here:
///      - Taking a replica slot (immediate bid, auction win, accepted offer) needs free stake (stake - locked) of at
///        least max(minStake, slashAmount), and locks `slashAmount` until the slot is settled.
///      - Bids and offers must be above zero. An evicted bidder may bid again; a provider holds at most one slot.
///      - Results may be committed only once every slot of the job is filled (status Assigned), so no result
///        leaks before the verification set is complete; a slot is taken only with `MIN_RUN_TIME` left.
///      - A slash of a minority result splits its reward share equally among the majority's operators; its
///        `Slashed` event then names `beneficiary = address(0)` (the `Credited` events show the split). Rounding
///        dust and the rest of every slash go to the treasury. A no-show slash goes wholly to the treasury
///        (`beneficiary = treasury`), so nobody profits from making a provider miss its deadline.
///      - An Open job past its deadline (not fully assigned) is Expired: the slots filled so far are released with
///        neither pay nor slash, and the poster is refunded.
///      - Direct jobs have one replica; Redundant jobs have 1, 3 or 5 (odd: no ties). Redundant mode assumes the
///        majority of a job's providers do not collude.
///      - Trust: the owner picks the arbiters (with none, `challenge` reverts and optimistic results are paid
///        unchecked). A challenge's request hashes are salted per block and re-salted when squatted, which raises
///        the cost of blocking a challenge (a same-block front-runner must take 8 hashes per arbiter) but cannot
///        rule it out while the ERC-8004 registry keeps one global hash namespace.
///      - After `withdrawStake` the provider may stake again and work (the unstake request is cleared).
///      Money conservation: `token.balanceOf(this) == totalLiabilities()`, tracked in four counters.
///      Size: to stay under the 24,576-byte code limit, `assign`, `offer`, `accept`, `cancel`, `challenge`,
///      `resolveChallenge`, `finalize`, redundant settlement and the struct-returning views run in
///      `ComputeMarketSettlement` (deployed by the constructor, address `settlement()`) through `delegatecall`
///      against this contract's storage. Callers see one address and one ABI; revert data is passed through.
contract ComputeMarket is ComputeMarketBase, IComputeMarket, IInteractionReceipts {
    using SafeERC20 for IERC20;

    /// @notice Largest auction book kept per job.
    uint256 public constant MAX_BIDS = 16;
    /// @notice Largest number of replicas of a Redundant job.
    uint256 public constant MAX_REPLICAS = 5;
    /// @notice Largest arbiter set.
    uint256 public constant MAX_ARBITERS = 7;
    /// @notice Seconds that must be left before a job's deadline for a slot to be taken (bid assigned at once,
    ///         `assign`, `accept`); a posted job's deadline is at least this long after its bid window.
    uint256 public constant MIN_RUN_TIME = _MIN_RUN_TIME;

    /// @notice The `ComputeMarketSettlement` extension this market delegates part of its functions to.
    address public immutable settlement;

    /// @param identityRegistry_   ERC-8004 identity registry (providers are its agents; the market registers itself).
    /// @param validationRegistry_ ERC-8004 validation registry the arbiters answer in.
    /// @param token_              Settlement token of escrow, stakes, bonds and payouts.
    /// @param config_             Market parameters (see `Config`).
    /// @param treasury_           Receives the part of each slash not paid to the honest party.
    /// @param owner_              Sets arbiters and treasury (two-step transferable).
    /// @param agentURI            Registration file URI of the market's own ERC-8004 agent.
    constructor(
        address identityRegistry_,
        address validationRegistry_,
        address token_,
        Config memory config_,
        address treasury_,
        address owner_,
        string memory agentURI
    ) ComputeMarketBase(identityRegistry_, validationRegistry_, token_, config_, owner_) {
        if (treasury_ == address(0)) revert ZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
        // The registry mints without a receiver check, so the market owns its agent and may request validations.
        _marketAgentId = IIdentityRegistry(identityRegistry_).register(agentURI);
        settlement = address(new ComputeMarketSettlement(identityRegistry_, validationRegistry_, token_, config_));
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Providers
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputeMarket
    function register(uint256 agentId, Resources calldata resources) external {
        if (agentId > type(uint128).max) revert UnknownProvider(agentId);
        address owner_ = _identityRegistry.ownerOf(agentId);
        if (
            msg.sender != owner_ && _identityRegistry.getApproved(agentId) != msg.sender
                && !_identityRegistry.isApprovedForAll(owner_, msg.sender)
                && _identityRegistry.getAgentWallet(agentId) != msg.sender
        ) revert NotAgentOwner(agentId, msg.sender);
        Provider storage p = _providers[agentId];
        if (p.operator != address(0)) revert ProviderExists(agentId);
        _validateResources(resources);
        p.operator = msg.sender;
        p.lastHeartbeat = uint40(block.timestamp);
        p.resources = resources;
        emit ProviderRegistered(agentId, msg.sender, resources);
        emit Heartbeat(agentId, uint40(block.timestamp));
    }

    /// @inheritdoc IComputeMarket
    function updateResources(uint256 providerId, Resources calldata resources) external {
        Provider storage p = _operated(providerId);
        _validateResources(resources);
        p.resources = resources;
        emit ProviderUpdated(providerId, resources);
    }

    /// @inheritdoc IComputeMarket
    function stake(uint256 providerId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _providers[providerId];
        if (p.operator == address(0)) revert UnknownProvider(providerId);
        uint256 newStake = uint256(p.stake) + amount;
        if (newStake > type(uint96).max) revert InsufficientStake(providerId, type(uint96).max, newStake);
        p.stake = uint96(newStake);
        _stakeTotal += uint128(amount);
        emit Staked(providerId, msg.sender, amount, newStake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IComputeMarket
    function heartbeat(uint256 providerId) external {
        Provider storage p = _operated(providerId);
        p.lastHeartbeat = uint40(block.timestamp);
        emit Heartbeat(providerId, uint40(block.timestamp));
    }

    /// @inheritdoc IComputeMarket
    function requestUnstake(uint256 providerId) external {
        Provider storage p = _operated(providerId);
        if (p.unstakeAt != 0) revert ProviderUnstaking(providerId);
        uint40 at = uint40(block.timestamp + _unstakeCooldown);
        p.unstakeAt = at;
        emit UnstakeRequested(providerId, at);
    }

    /// @inheritdoc IComputeMarket
    /// @dev Clears the unstake request, so the provider can stake again and take work later.
    function withdrawStake(uint256 providerId, address to) external nonReentrant {
        Provider storage p = _operated(providerId);
        if (to == address(0)) revert ZeroAddress();
        uint40 at = p.unstakeAt;
        if (at == 0) revert UnstakeNotRequested(providerId);
        if (block.timestamp < at) revert CooldownNotOver(providerId, at);
        if (p.locked != 0) revert StakeLocked(providerId, p.locked);
        uint256 amount = p.stake;
        if (amount == 0) revert ZeroAmount();
        p.stake = 0;
        p.unstakeAt = 0;
        _stakeTotal -= uint128(amount);
        emit StakeWithdrawn(providerId, to, amount);
        _token.safeTransfer(to, amount);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Jobs
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputeMarket
    function postJob(JobSpec calldata spec) external nonReentrant returns (uint256 jobId) {
        uint256 escrow = _validateSpec(spec);
        jobId = ++_jobCount;
        JobData storage j = _jobs[jobId];
        j.poster = msg.sender;
        j.status = JobStatus.Open;
        j.mode = spec.mode;
        j.direct = spec.direct;
        j.replicas = spec.replicas;
        j.postedAt = uint40(block.timestamp);
        j.deadline = spec.deadline;
        j.bidWindow = spec.direct ? 0 : spec.bidWindow;
        j.units = spec.units;
        j.maxPricePerUnit = spec.maxPricePerUnit;
        j.minMemoryMB = spec.needs.minMemoryMB;
        j.escrow = uint96(escrow);
        j.workloadDigest = spec.workloadDigest;
        j.inputDigest = spec.inputDigest;
        j.deviceKind = spec.needs.deviceKind;
        if (spec.needs.region != bytes32(0)) j.region = spec.needs.region;
        _escrowTotal += uint128(escrow);
        _emitPosted(jobId, spec, escrow);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }

    /// @inheritdoc IComputeMarket
    function cancel(uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function bid(uint256 jobId, uint256 providerId, uint96 pricePerUnit) external {
        JobData storage j = _job(jobId);
        if (j.direct) revert NotAuction(jobId);
        if (j.status != JobStatus.Open) revert WrongStatus(jobId, j.status);
        if (block.timestamp >= j.deadline) revert DeadlinePassed(jobId, j.deadline);
        uint32 window = j.bidWindow;
        if (window != 0 && block.timestamp >= uint256(j.postedAt) + window) revert BidWindowClosed(jobId);
        if (pricePerUnit == 0) revert ZeroAmount();
        if (pricePerUnit > j.maxPricePerUnit) revert PriceTooHigh(jobId, pricePerUnit, j.maxPricePerUnit);
        Provider storage p = _operated(providerId);
        if (_membership[jobId][providerId] != 0) revert AlreadyInJob(jobId, providerId);
        _eligible(providerId, p, j, true);
        if (window == 0) _requireRunTime(jobId, j);
        uint8 rep = reputationOf(providerId);
        emit BidPlaced(jobId, providerId, pricePerUnit, rep);
        if (window == 0) {
            _assignSlot(jobId, j, providerId, p, pricePerUnit);
        } else {
            _insertBid(jobId, providerId, pricePerUnit, rep);
        }
    }

    /// @inheritdoc IComputeMarket
    /// @dev Bids whose provider is no longer eligible (unstaking, not live, full, short of free stake, resources
    ///      changed) are skipped; the auction closes either way and later eligible bids take the slots left.
    function assign(uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    /// @dev Offers may outnumber slots: first accepted wins.
    function offer(uint256, uint256, uint96) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    /// @dev The offer is consumed (`getOffer` returns 0 afterwards).
    function accept(uint256, uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function commitResult(uint256 jobId, uint256 providerId, bytes32 outputDigest, string calldata outputURI)
        external
        nonReentrant
    {
        JobData storage j = _job(jobId);
        JobStatus status = j.status;
        if (status != JobStatus.Assigned) revert WrongStatus(jobId, status);
        _operated(providerId);
        uint8 member = _membership[jobId][providerId];
        if (member == 0 || member == BIDDER) revert NotAssigned(jobId, providerId);
        if (outputDigest == bytes32(0)) revert ZeroDigest();
        if (block.timestamp >= j.deadline) revert DeadlinePassed(jobId, j.deadline);
        uint8 slot = member - 1;
        SlotData storage s = _slots[jobId][slot];
        if (s.outputDigest != bytes32(0)) revert AlreadyCommitted(jobId, providerId);
        s.outputDigest = outputDigest;
        uint8 committed = j.committed + 1;
        j.committed = committed;
        emit ResultCommitted(jobId, providerId, slot, outputDigest, outputURI);
        if (j.mode == Mode.Optimistic) {
            j.challengeEndsAt = uint40(block.timestamp + _challengeWindow);
        } else if (committed == j.replicas) {
            _delegate(abi.encodeCall(ComputeMarketSettlement.settleRedundant, (jobId)));
        }
    }

    /// @inheritdoc IComputeMarket
    /// @dev Reverts `ChallengeWindowClosed` for a job with no open window (not optimistic, not committed, or past it).
    function challenge(uint256, bytes32) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function resolveChallenge(uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function finalize(uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function acceptResult(uint256) external {
        _delegateRaw();
    }

    /// @inheritdoc IComputeMarket
    function withdraw(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        _creditTotal -= uint128(amount);
        emit Withdrawn(msg.sender, to, amount);
        _token.safeTransfer(to, amount);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Admin
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputeMarket
    /// @dev Reverts `InvalidConfig("arbiters")` for more than `MAX_ARBITERS` or a repeated address.
    function setArbiters(address[] calldata arbiters_) external onlyOwner {
        uint256 n = arbiters_.length;
        if (n > MAX_ARBITERS) revert InvalidConfig("arbiters");
        for (uint256 i; i < n; ++i) {
            if (arbiters_[i] == address(0)) revert ZeroAddress();
            for (uint256 k; k < i; ++k) {
                if (arbiters_[k] == arbiters_[i]) revert InvalidConfig("arbiters");
            }
        }
        _arbiters = arbiters_;
        emit ArbitersSet(arbiters_);
    }

    /// @inheritdoc IComputeMarket
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Views
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComputeMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IComputeMarket
    function identityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }

    /// @inheritdoc IComputeMarket
    function validationRegistry() external view returns (address) {
        return address(_validationRegistry);
    }

    /// @inheritdoc IComputeMarket
    function marketAgentId() external view returns (uint256) {
        return _marketAgentId;
    }

    /// @inheritdoc IComputeMarket
    function config() external view returns (Config memory out) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function arbiters() external view returns (address[] memory) {
        return _arbiters;
    }

    /// @inheritdoc IComputeMarket
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IComputeMarket
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    /// @inheritdoc IComputeMarket
    function getProvider(uint256) external view returns (Provider memory out) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function reputationOf(uint256 providerId) public view returns (uint8) {
        Provider storage p = _providers[providerId];
        uint256 completed = p.completed;
        return uint8(100 * completed / (completed + 3 * uint256(p.slashes) + 1));
    }

    /// @inheritdoc IComputeMarket
    function isLive(uint256 providerId) public view returns (bool) {
        Provider storage p = _providers[providerId];
        return p.operator != address(0) && block.timestamp <= uint256(p.lastHeartbeat) + _heartbeatTTL;
    }

    /// @inheritdoc IComputeMarket
    function getJob(uint256) external view returns (Job memory job) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function getAssignments(uint256) external view returns (Assignment[] memory out) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function getBids(uint256) external view returns (Bid[] memory out) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function getOffer(uint256 jobId, uint256 providerId) external view returns (uint96 pricePerUnit) {
        return _offers[jobId][providerId];
    }

    /// @inheritdoc IComputeMarket
    function getChallenge(uint256) external view returns (Challenge memory out) {
        _delegateView();
    }

    /// @inheritdoc IComputeMarket
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IComputeMarket
    function totalLiabilities() external view returns (uint256) {
        return uint256(_escrowTotal) + _creditTotal + _stakeTotal + _bondTotal;
    }

    /// @inheritdoc IComputeMarket
    function receiptIdFor(uint256 jobId, uint256 providerId) external view returns (bytes32) {
        return _receiptId(jobId, providerId);
    }

    /// @inheritdoc IInteractionReceipts
    /// @dev One receipt per paid replica: client = poster, agentId = provider, asset = token, amount = price * units.
    function interactionReceipt(bytes32) external view returns (InteractionReceipt memory) {
        _delegateView();
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Internals
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Runs this call's calldata in the settlement extension and returns or reverts with its result.
    function _delegateRaw() private {
        address impl = settlement;
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

    /// @dev Runs `data` in the settlement extension against this contract's storage, bubbling its revert.
    function _delegate(bytes memory data) private {
        (bool ok, bytes memory ret) = settlement.delegatecall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    /// @dev Reverts `InvalidResources(field)` for a missing device kind, device count or memory.
    function _validateResources(Resources calldata r) private pure {
        if (r.deviceKind == bytes32(0)) revert InvalidResources("deviceKind");
        if (r.deviceCount == 0) revert InvalidResources("deviceCount");
        if (r.memoryMB == 0) revert InvalidResources("memoryMB");
    }

    /// @dev Checks a spec and returns its escrow.
    function _validateSpec(JobSpec calldata spec) private view returns (uint256 escrow) {
        if (spec.workloadDigest == bytes32(0)) revert InvalidJobSpec("workloadDigest");
        if (spec.inputDigest == bytes32(0)) revert InvalidJobSpec("inputDigest");
        if (spec.needs.deviceKind == bytes32(0)) revert InvalidJobSpec("needs.deviceKind");
        if (spec.maxPricePerUnit == 0) revert InvalidJobSpec("maxPricePerUnit");
        if (spec.units == 0) revert InvalidJobSpec("units");
        uint8 replicas = spec.replicas;
        // Redundant: an odd count (no ties), single when direct (the poster must not pick a majority);
        // Optimistic: single.
        if (
            replicas == 0 || replicas > MAX_REPLICAS
                || (replicas != 1 && (spec.mode == Mode.Optimistic || spec.direct || replicas % 2 == 0))
        ) revert InvalidJobSpec("replicas");
        if (block.timestamp + _MIN_RUN_TIME > spec.deadline) revert InvalidJobSpec("deadline");
        if (!spec.direct && block.timestamp + spec.bidWindow + _MIN_RUN_TIME > spec.deadline) {
            revert InvalidJobSpec("bidWindow");
        }
        escrow = uint256(spec.maxPricePerUnit) * spec.units * spec.replicas;
        if (escrow > type(uint96).max) revert InvalidJobSpec("maxPricePerUnit");
    }

    /// @dev Emits `JobPosted`. Its twelve data fields are too many for the legacy code generator's stack, so they
    ///      are ABI-encoded as one struct (whose tuple encoding is exactly the event's data) and logged directly.
    function _emitPosted(uint256 jobId, JobSpec calldata spec, uint256 escrow) private {
        PostedData memory d;
        d.inputDigest = spec.inputDigest;
        d.workloadURI = spec.workloadURI;
        d.inputURI = spec.inputURI;
        d.needs = spec.needs;
        d.maxPricePerUnit = spec.maxPricePerUnit;
        d.units = spec.units;
        d.deadline = spec.deadline;
        d.bidWindow = spec.direct ? 0 : spec.bidWindow;
        d.replicas = spec.replicas;
        d.mode = spec.mode;
        d.direct = spec.direct;
        d.escrow = escrow;
        bytes memory data = abi.encode(d);
        bytes32 topic0 = JobPosted.selector;
        address poster = msg.sender;
        bytes32 workloadDigest = spec.workloadDigest;
        assembly ("memory-safe") {
            // Skip the length word and the struct's leading offset word.
            log4(add(data, 0x40), sub(mload(data), 0x20), topic0, jobId, poster, workloadDigest)
        }
    }

    /// @dev Inserts a bid in the sorted book (best first; ties keep the earlier bid first), evicting the worst of a
    ///      full book.
    function _insertBid(uint256 jobId, uint256 providerId, uint96 price, uint8 rep) private {
        BidData[] storage book = _bids[jobId];
        uint256 n = book.length;
        uint256 score = _score(price, rep);
        uint256 pos = n;
        while (pos > 0) {
            BidData memory prev = book[pos - 1];
            if (_score(prev.pricePerUnit, prev.reputation) <= score) break;
            --pos;
        }
        uint256 last;
        if (n == MAX_BIDS) {
            if (pos == n) revert BidNotCompetitive(jobId, providerId);
            last = n - 1;
            delete _membership[jobId][book[last].providerId];
        } else {
            book.push();
            last = n;
        }
        for (uint256 i = last; i > pos; --i) {
            book[i] = book[i - 1];
        }
        book[pos] = BidData({providerId: uint128(providerId), pricePerUnit: price, reputation: rep});
        _membership[jobId][providerId] = BIDDER;
    }

    /// @dev Lower is better: price * 200 / (100 + reputation), so reputation 100 halves the effective price.
    function _score(uint96 price, uint8 rep) private pure returns (uint256) {
        return uint256(price) * 200 / (100 + uint256(rep));
    }
}
