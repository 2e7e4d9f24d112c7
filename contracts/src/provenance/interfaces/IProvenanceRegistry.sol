// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IProvenanceRegistry
/// @notice The audit trail: dataset versions with lineage, and model records that name the dataset
///         roots a model was trained on, signed by the trainer agent's ERC-8004 identity.
/// @dev A dataset version is keyed by its manifest root (a standard Merkle tree over
///      (string path, uint256 size, bytes32 fileRoot) entries); the manifest itself lives off chain
///      and anyone holding it can recompute the root. A model is keyed by its weights digest.
interface IProvenanceRegistry {
    struct DatasetVersion {
        bytes32 parent; // root of the version this one derives from, or 0
        address registrant;
        uint48 timestamp;
        uint32 version; // 1 for a root without parent, parent.version + 1 otherwise
        uint64 fileCount;
        uint128 totalBytes;
        string name;
        string uri; // where the manifest can be fetched (e.g. a node's /v1/datasets/{root}/manifest)
    }

    /// @notice What the trainer signs (EIP-712, see `MODEL_TYPEHASH`) and what is registered.
    struct ModelInput {
        bytes32 weightsDigest; // the model's id
        uint256 trainerAgentId; // ERC-8004 agent that trained it
        bytes32 configDigest; // training configuration
        bytes32 metricsDigest; // keccak256 of `metrics` (UTF-8 JSON)
        bytes32 baseModel; // weights digest of the model it was fine-tuned from, or 0
        uint256 computeJobId; // compute market job that trained it, or 0
        bytes32[] datasetRoots; // registered dataset versions it was trained on (non-empty)
        string name;
        string metrics; // evaluation metrics, UTF-8 JSON (emitted, digest stored)
        string uri; // optional model card / weights location
    }

    struct ModelRecord {
        uint256 trainerAgentId;
        bytes32 configDigest;
        bytes32 metricsDigest;
        bytes32 baseModel;
        uint256 computeJobId;
        address signer; // who signed for the agent: its owner or its agentWallet (ERC-1271 accounts included)
        address registrant; // who sent the transaction
        uint48 timestamp;
        bytes32[] datasetRoots;
        string name;
        string uri;
    }

    event DatasetRegistered(
        bytes32 indexed root,
        bytes32 indexed parent,
        address indexed registrant,
        uint32 version,
        uint64 fileCount,
        uint128 totalBytes,
        string name,
        string uri
    );

    event ModelRegistered(
        bytes32 indexed weightsDigest,
        uint256 indexed trainerAgentId,
        address indexed signer,
        bytes32 configDigest,
        bytes32 metricsDigest,
        bytes32 baseModel,
        uint256 computeJobId,
        bytes32[] datasetRoots,
        string name,
        string metrics,
        string uri
    );

    error EmptyRoot();
    error EmptyDataset();
    error EmptyName();
    error DatasetAlreadyRegistered(bytes32 root);
    error UnknownParent(bytes32 parent);
    error UnknownDataset(bytes32 root);
    error NoDatasets();
    error ModelAlreadyRegistered(bytes32 weightsDigest);
    error UnknownBaseModel(bytes32 baseModel);
    error UnknownAgent(uint256 agentId);
    error MetricsDigestMismatch(bytes32 expected, bytes32 actual);
    /// @notice The signature is from neither the agent's owner nor its agentWallet.
    error InvalidTrainerSignature(uint256 agentId, address signer);

    /// @notice EIP-712 type of the trainer's signature:
    /// ModelRecord(bytes32 weightsDigest,uint256 trainerAgentId,bytes32 configDigest,bytes32 metricsDigest,bytes32 baseModel,uint256 computeJobId,bytes32[] datasetRoots,string name,string uri)
    function MODEL_TYPEHASH() external view returns (bytes32);

    function identityRegistry() external view returns (address);

    /// @notice Registers a dataset version. Anyone may register; the registrant is recorded.
    function registerDataset(
        string calldata name,
        bytes32 root,
        bytes32 parent,
        uint64 fileCount,
        uint128 totalBytes,
        string calldata uri
    ) external returns (uint32 version);

    /// @notice Registers a model record signed by `signer` for `m.trainerAgentId` (owner or agentWallet;
    ///         ERC-1271 through SignatureChecker). Anyone may relay it.
    function registerModel(ModelInput calldata m, address signer, bytes calldata signature) external;

    function datasetOf(bytes32 root) external view returns (DatasetVersion memory);
    function isDataset(bytes32 root) external view returns (bool);
    function modelOf(bytes32 weightsDigest) external view returns (ModelRecord memory);
    function isModel(bytes32 weightsDigest) external view returns (bool);
    /// @notice The EIP-712 digest the trainer signs for `m`.
    function modelDigest(ModelInput calldata m) external view returns (bytes32);
}
