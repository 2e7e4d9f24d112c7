// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IComputeMarket
/// @notice A decentralized compute market. Providers (ERC-8004 agents) stake the settlement token and offer
///         resources; buyers post jobs with escrow; jobs are matched by a reverse auction (bids within a window,
///         lowest price weighted by reputation) or by a direct offer the provider accepts; results are verified by
///         redundant execution (k providers, majority digest wins) or optimistically (a challenge window in which
///         any validator may dispute with a bond; the market's ERC-8004 validation requests to its arbiters decide).
///         Winners are paid, buyers refunded on timeout, wrong results and no-shows are slashed, part of each slash
///         going to the honest party. Every payment is pulled (`withdraw`).
/// @dev Ids: a provider is identified by its ERC-8004 `agentId`; jobs are numbered from 1.
///      Money conservation (tested as an invariant): token balance == open escrow + stakes + credits + bonds.
interface IComputeMarket {
    // ─────────────────────────────────────────────────────────────────────────────
    // Types
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice How results are verified.
    enum Mode {
        Redundant, // `replicas` providers run the job; a digest committed by a strict majority is accepted
        Optimistic // one provider runs it; accepted unless a challenge within `challengeWindow` is upheld
    }

    /// @notice Job lifecycle. Open → Assigned → (Challenged →) Completed | Failed; Open → Cancelled | Expired.
    enum JobStatus {
        None,
        Open, // posted, taking bids (auction) or waiting for offers to be accepted (direct)
        Assigned, // every replica slot has a provider; results being committed
        Challenged, // optimistic result disputed; arbiters answering
        Completed, // a result was accepted and paid
        Failed, // no acceptable result (no majority, upheld challenge, no-shows); escrow refunded
        Cancelled, // the poster cancelled before assignment
        Expired // not fully assigned by the deadline: slots released (no pay, no slash), escrow refunded
    }

    /// @notice Why stake was slashed.
    enum SlashReason {
        WrongResult, // minority digest in redundant mode
        ChallengeUpheld, // optimistic result disputed and the arbiters agreed with the challenger
        NoShow // assigned (job fully assigned) but no result by the deadline; the whole slash goes to the treasury
    }

    /// @notice What a provider offers. `deviceKind` and `region` are short ASCII strings right-padded to 32 bytes.
    struct Resources {
        bytes32 deviceKind;
        bytes32 region;
        uint32 deviceCount; // also how many jobs it runs at once
        uint32 memoryMB;
        uint96 pricePerUnit; // ask, settlement-token base units per unit of work
    }

    /// @notice A provider as stored.
    struct Provider {
        address operator; // signs the provider's transactions and receives its payouts
        uint96 stake; // total staked, including `locked`
        uint96 locked; // stake held for running jobs (`slashAmount` per assignment)
        uint40 lastHeartbeat;
        uint40 unstakeAt; // 0, or when `withdrawStake` becomes possible (no new work after the request)
        uint32 activeJobs;
        uint32 completed;
        uint32 slashes;
        Resources resources;
    }

    /// @notice What a job needs. `region == 0` accepts any region.
    struct Needs {
        bytes32 deviceKind;
        uint32 minMemoryMB;
        bytes32 region;
    }

    /// @notice What a buyer posts.
    /// @param workloadDigest sha256 of the workload bundle (what to run).
    /// @param inputDigest    sha256 of the input bytes.
    /// @param workloadURI    where the bundle can be fetched (emitted only).
    /// @param inputURI       where the input can be fetched (emitted only).
    /// @param maxPricePerUnit highest price per unit the buyer pays each replica.
    /// @param units          units of work; a replica at price p earns p * units.
    /// @param deadline       unix time by which every result must be committed; at least `MIN_RUN_TIME` (30 s)
    ///                       after the bid window closes (`now + bidWindow + MIN_RUN_TIME <= deadline`).
    /// @param bidWindow      auction: seconds after posting during which bids are taken; 0 = first eligible
    ///                       bids are assigned at once. Ignored for direct jobs.
    /// @param replicas       providers that run the job (Redundant: 1, 3 or 5, and 1 when direct; Optimistic: 1).
    /// @param direct         true: matched by `offer`/`accept` instead of bids (single replica only).
    struct JobSpec {
        bytes32 workloadDigest;
        bytes32 inputDigest;
        string workloadURI;
        string inputURI;
        Needs needs;
        uint96 maxPricePerUnit;
        uint32 units;
        uint40 deadline;
        uint32 bidWindow;
        uint8 replicas;
        Mode mode;
        bool direct;
    }

    /// @notice A job as stored.
    struct Job {
        address poster;
        JobStatus status;
        Mode mode;
        bool direct;
        uint8 replicas;
        uint8 assigned; // replica slots filled
        uint8 committed; // results committed
        uint40 postedAt;
        uint40 deadline;
        uint32 bidWindow; // 0 once `assign` closed the auction (remaining slots then go to the first eligible bids)
        uint32 units;
        uint96 maxPricePerUnit;
        uint96 escrow; // still held for this job
        bytes32 workloadDigest;
        bytes32 inputDigest;
        bytes32 acceptedDigest; // set when Completed
        Needs needs;
        uint40 challengeEndsAt; // optimistic: end of the challenge window (set at commit)
    }

    /// @notice One replica slot of a job.
    struct Assignment {
        uint256 providerId;
        uint96 pricePerUnit;
        bytes32 outputDigest; // zero until committed
        bool paid;
        bool slashed;
    }

    /// @notice A bid in an auction, kept sorted best first by score = price * 200 / (100 + reputation).
    struct Bid {
        uint256 providerId;
        uint96 pricePerUnit;
        uint8 reputation; // at bid time, 0..100
    }

    /// @notice An open or resolved dispute of an optimistic result.
    struct Challenge {
        address challenger;
        bytes32 claimedDigest; // what the challenger says the output is
        uint40 resolveBy; // arbiters' answers given (or last changed) after this time are not counted
        bool resolved;
        bool upheld;
        bytes32[] requestHashes; // one ERC-8004 validation request per arbiter, in the order of `arbiters()`
    }

    /// @notice Market parameters, set at deployment.
    struct Config {
        uint96 minStake; // free stake a provider needs to take a job, beyond what running jobs lock
        uint96 slashAmount; // taken per lost verification or no-show (and locked per assignment)
        uint96 challengeBond; // > 0
        uint32 unstakeCooldown;
        uint32 heartbeatTTL; // a provider is live if its last heartbeat is at most this old
        uint32 challengeWindow;
        uint32 resolutionWindow;
        uint16 rewardShareBps; // of each slash, paid to the honest party (challenger / majority / buyer)
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Events
    // ─────────────────────────────────────────────────────────────────────────────

    event ProviderRegistered(uint256 indexed providerId, address indexed operator, Resources resources);
    event ProviderUpdated(uint256 indexed providerId, Resources resources);
    event Staked(uint256 indexed providerId, address indexed from, uint256 amount, uint256 stake);
    event Heartbeat(uint256 indexed providerId, uint40 at);
    event UnstakeRequested(uint256 indexed providerId, uint40 unstakeAt);
    event StakeWithdrawn(uint256 indexed providerId, address indexed to, uint256 amount);

    event JobPosted(
        uint256 indexed jobId,
        address indexed poster,
        bytes32 indexed workloadDigest,
        bytes32 inputDigest,
        string workloadURI,
        string inputURI,
        Needs needs,
        uint96 maxPricePerUnit,
        uint32 units,
        uint40 deadline,
        uint32 bidWindow,
        uint8 replicas,
        Mode mode,
        bool direct,
        uint256 escrow
    );
    event BidPlaced(uint256 indexed jobId, uint256 indexed providerId, uint96 pricePerUnit, uint8 reputation);
    event Offered(uint256 indexed jobId, uint256 indexed providerId, uint96 pricePerUnit);
    /// @notice Replica `slot` of `jobId` went to `providerId` at `pricePerUnit` (auction win or accepted offer).
    event Assigned(uint256 indexed jobId, uint256 indexed providerId, uint8 slot, uint96 pricePerUnit);
    event ResultCommitted(uint256 indexed jobId, uint256 indexed providerId, uint8 slot, bytes32 outputDigest, string outputURI);
    event ChallengeOpened(uint256 indexed jobId, address indexed challenger, bytes32 claimedDigest, uint40 resolveBy, bytes32[] requestHashes);
    event ChallengeResolved(uint256 indexed jobId, bool upheld, uint8 votesForProvider, uint8 votesForChallenger);
    /// @notice Fewer than a strict majority of the `asked` arbiters answered by `resolveBy`: no verdict; the bond
    ///         went back to the challenger and the provider was paid (emitted before `ChallengeResolved`).
    event ChallengeNoQuorum(uint256 indexed jobId, uint8 answered, uint8 asked);
    /// @notice The poster of an optimistic job accepted its committed result before the challenge window ended
    ///         (followed by `ProviderPaid` and `JobFinalized`).
    event ResultAccepted(uint256 indexed jobId, address indexed poster);
    /// @notice `assign` closed the auction of `jobId` with `assigned` slots filled; the `slotsLeft` remaining slots
    ///         go to the first eligible bids (as with `bidWindow == 0`).
    event AuctionClosed(uint256 indexed jobId, uint8 assigned, uint8 slotsLeft);
    /// @notice `providerId` was credited `amount` for its accepted result; `receiptId` backs verified feedback.
    event ProviderPaid(uint256 indexed jobId, uint256 indexed providerId, uint256 amount, bytes32 receiptId);
    event Slashed(
        uint256 indexed providerId,
        uint256 indexed jobId,
        SlashReason reason,
        uint256 amount,
        address indexed beneficiary,
        uint256 reward
    );
    event JobFinalized(uint256 indexed jobId, JobStatus status, bytes32 acceptedDigest, uint256 refund);
    event JobCancelled(uint256 indexed jobId, uint256 refund);
    event Credited(address indexed account, uint256 amount, uint256 balance);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    event ArbitersSet(address[] arbiters);
    event TreasurySet(address treasury);

    // ─────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────

    error ZeroAddress();
    error ZeroAmount();
    error InvalidConfig(string field);
    error InvalidResources(string field);
    error InvalidJobSpec(string field);
    error NotAgentOwner(uint256 agentId, address caller);
    error ProviderExists(uint256 providerId);
    error UnknownProvider(uint256 providerId);
    error NotOperator(uint256 providerId, address caller);
    error ProviderUnstaking(uint256 providerId);
    error ProviderNotLive(uint256 providerId, uint40 lastHeartbeat);
    error InsufficientStake(uint256 providerId, uint256 free, uint256 needed);
    error NoFreeCapacity(uint256 providerId);
    error ResourcesMismatch(uint256 providerId, string field);
    error StakeLocked(uint256 providerId, uint256 locked);
    error CooldownNotOver(uint256 providerId, uint40 unstakeAt);
    error UnstakeNotRequested(uint256 providerId);
    error UnknownJob(uint256 jobId);
    error WrongStatus(uint256 jobId, JobStatus status);
    error NotPoster(uint256 jobId, address caller);
    error BidWindowClosed(uint256 jobId);
    error BidWindowOpen(uint256 jobId, uint40 closesAt);
    error PriceTooHigh(uint256 jobId, uint96 price, uint96 maxPricePerUnit);
    error AlreadyInJob(uint256 jobId, uint256 providerId);
    error BidNotCompetitive(uint256 jobId, uint256 providerId);
    error NotEnoughBids(uint256 jobId, uint256 bids, uint256 replicas);
    error NotDirect(uint256 jobId);
    error NotAuction(uint256 jobId);
    error NoOffer(uint256 jobId, uint256 providerId);
    error NotAssigned(uint256 jobId, uint256 providerId);
    error AlreadyCommitted(uint256 jobId, uint256 providerId);
    error ZeroDigest();
    error DeadlinePassed(uint256 jobId, uint40 deadline);
    error NotFinalizable(uint256 jobId, string reason);
    error ChallengeWindowClosed(uint256 jobId);
    error SameDigest(uint256 jobId);
    error NoArbiters();
    error ChallengeNotResolvable(uint256 jobId, string reason);
    error NothingToWithdraw(address account);
    /// @notice Taking a slot needs at least `MIN_RUN_TIME` seconds before the job's deadline.
    error NoTimeToRun(uint256 jobId, uint40 deadline);
    /// @notice An offer may only be repeated at an equal or higher price than `current`.
    error OfferLowered(uint256 jobId, uint256 providerId, uint96 current);
    /// @notice Every salted request hash tried for `arbiter` was already taken in the validation registry.
    error ValidationRequestBlocked(uint256 jobId, address arbiter);
    /// @notice `acceptResult` needs an optimistic job with a committed, unchallenged result.
    error NoResultToAccept(uint256 jobId);

    // ─────────────────────────────────────────────────────────────────────────────
    // Providers
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Register agent `agentId` as a provider operated by the caller, who must own or operate the agent or
    ///         be its ERC-8004 `agentWallet`. Counts as a heartbeat.
    function register(uint256 agentId, Resources calldata resources) external;

    /// @notice Change the offer (operator only). Running jobs keep their prices.
    function updateResources(uint256 providerId, Resources calldata resources) external;

    /// @notice Add `amount` to the provider's stake, pulled from the caller (anyone may top up).
    function stake(uint256 providerId, uint256 amount) external;

    /// @notice Liveness signal (operator only).
    function heartbeat(uint256 providerId) external;

    /// @notice Stop taking work and start the cooldown (operator only).
    function requestUnstake(uint256 providerId) external;

    /// @notice After the cooldown, with no locked stake, send the whole stake to `to` (operator only).
    function withdrawStake(uint256 providerId, address to) external;

    // ─────────────────────────────────────────────────────────────────────────────
    // Jobs
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Post a job; escrow `maxPricePerUnit * units * replicas` is pulled from the caller.
    function postJob(JobSpec calldata spec) external returns (uint256 jobId);

    /// @notice Poster cancels an Open job with no assignment yet; escrow credited back.
    function cancel(uint256 jobId) external;

    /// @notice Auction bid by the provider's operator. With `bidWindow == 0` (or once `assign` closed the auction)
    ///         the bid is assigned at once if a slot is free and at least `MIN_RUN_TIME` is left before the deadline
    ///         (else `NoTimeToRun`); otherwise it joins the sorted book (best `MAX_BIDS` kept; a worse bid on a full
    ///         book reverts `BidNotCompetitive`).
    function bid(uint256 jobId, uint256 providerId, uint96 pricePerUnit) external;

    /// @notice After the bid window (and at least `MIN_RUN_TIME` before the deadline), anyone closes the auction:
    ///         the best eligible bids get the slots (up to `replicas`); slots left over go to the first eligible
    ///         bids placed afterwards (`bidWindow` reads 0 from then on). Emits `AuctionClosed`. Reverts
    ///         `NotEnoughBids` only when the auction was already closed (nothing would change).
    function assign(uint256 jobId) external;

    /// @notice Direct job: the poster offers a replica slot to `providerId` at `pricePerUnit`. Offering again to
    ///         the same provider may only keep or raise the price (`OfferLowered`).
    function offer(uint256 jobId, uint256 providerId, uint96 pricePerUnit) external;

    /// @notice Direct job: the provider's operator takes the offer (at least `MIN_RUN_TIME` before the deadline).
    function accept(uint256 jobId, uint256 providerId) external;

    /// @notice The assigned provider's operator commits its output before the deadline, once every slot of the job
    ///         is filled (status Assigned). In Redundant mode the job is finalized in the same transaction once
    ///         every replica has committed; in Optimistic mode the challenge window starts.
    function commitResult(uint256 jobId, uint256 providerId, bytes32 outputDigest, string calldata outputURI) external;

    /// @notice Dispute an optimistic result within the challenge window, posting `challengeBond`. The market
    ///         opens one ERC-8004 validation request per arbiter. Request hash = keccak256(abi.encode(market, jobId,
    ///         arbiter, challenger, block.prevrandao, attempt)), attempt = 0 or, when that hash is already taken in
    ///         the registry, the next one (up to 8 attempts, else `ValidationRequestBlocked`); the hashes used are
    ///         in `ChallengeOpened` and `getChallenge`.
    function challenge(uint256 jobId, bytes32 claimedDigest) external;

    /// @notice Settle a dispute: once every arbiter answered, or after `resolveBy`. Only answers given by
    ///         `resolveBy` count. Without a quorum (answers from strictly more than half of the arbiters asked) there
    ///         is no verdict: the bond goes back to the challenger and the provider is paid (`ChallengeNoQuorum`).
    ///         With a quorum, a strict majority of the counted answers below 50 upholds the challenge (provider
    ///         slashed, challenger rewarded and refunded its bond, buyer refunded); otherwise the provider is paid
    ///         and the bond goes to it.
    function resolveChallenge(uint256 jobId) external;

    /// @notice Anyone: settle a job whose outcome is due — Redundant past the deadline, Optimistic past its
    ///         challenge window, any Assigned job past the deadline with missing results (no-shows slashed, to the
    ///         treasury), or an Open job past the deadline (Expired: slots filled so far released without pay or
    ///         slash, escrow refunded).
    function finalize(uint256 jobId) external;

    /// @notice The poster of an optimistic job accepts its committed, unchallenged result before the challenge
    ///         window ends (waiving the rest of the window): the provider is paid and the job Completed exactly as
    ///         an unchallenged `finalize` would. Emits `ResultAccepted`.
    function acceptResult(uint256 jobId) external;

    /// @notice Send the caller's whole credit (payouts, refunds, rewards) to `to`.
    function withdraw(address to) external returns (uint256 amount);

    // ─────────────────────────────────────────────────────────────────────────────
    // Admin (owner)
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Replace the arbiter set (at most 7; challenges already opened keep theirs).
    function setArbiters(address[] calldata arbiters) external;

    function setTreasury(address treasury) external;

    // ─────────────────────────────────────────────────────────────────────────────
    // Views
    // ─────────────────────────────────────────────────────────────────────────────

    function token() external view returns (address);
    function identityRegistry() external view returns (address);
    function validationRegistry() external view returns (address);
    /// @notice The market's own ERC-8004 agent id (it requests validations as this agent).
    function marketAgentId() external view returns (uint256);
    function config() external view returns (Config memory);
    function arbiters() external view returns (address[] memory);
    function treasury() external view returns (address);
    function jobCount() external view returns (uint256);
    function getProvider(uint256 providerId) external view returns (Provider memory);
    /// @notice 0..100 = 100 * completed / (completed + 3 * slashes + 1), integer.
    function reputationOf(uint256 providerId) external view returns (uint8);
    function isLive(uint256 providerId) external view returns (bool);
    function getJob(uint256 jobId) external view returns (Job memory);
    function getAssignments(uint256 jobId) external view returns (Assignment[] memory);
    function getBids(uint256 jobId) external view returns (Bid[] memory);
    function getOffer(uint256 jobId, uint256 providerId) external view returns (uint96 pricePerUnit);
    function getChallenge(uint256 jobId) external view returns (Challenge memory);
    function creditOf(address account) external view returns (uint256);
    /// @notice Sum of open escrow, stakes, credits and bonds (the invariant's right-hand side).
    function totalLiabilities() external view returns (uint256);
    /// @notice keccak256(abi.encode(address(this), jobId, providerId)): the interaction receipt of a paid replica.
    function receiptIdFor(uint256 jobId, uint256 providerId) external view returns (bytes32);
}
