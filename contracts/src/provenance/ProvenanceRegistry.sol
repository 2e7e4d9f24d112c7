// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IAgentWalletView} from "../identity/interfaces/IInteractionReceipts.sol";
import {IProvenanceRegistry} from "./interfaces/IProvenanceRegistry.sol";

/// @title ProvenanceRegistry
/// @notice The audit trail of datasets and models. A dataset version is its manifest root plus lineage (the
///         version it derives from); a model record names the dataset versions it was trained on and is signed
///         by the trainer agent's ERC-8004 identity, so a model can be traced to exact training files.
/// @dev Records are write-once: nothing can be changed or deleted, and nobody owns the registry. The trainer's
///      signature is EIP-712 over `MODEL_TYPEHASH` in the domain ("Machina Provenance", "1", chainid, this);
///      the signer must be the agent's current owner or its verified agentWallet, and contract accounts sign
///      through ERC-1271 (`SignatureChecker`). A relayer may submit it: `registrant` records who sent it.
contract ProvenanceRegistry is IProvenanceRegistry, EIP712 {
    /// @inheritdoc IProvenanceRegistry
    bytes32 public constant MODEL_TYPEHASH = keccak256(
        "ModelRecord(bytes32 weightsDigest,uint256 trainerAgentId,bytes32 configDigest,bytes32 metricsDigest,bytes32 baseModel,uint256 computeJobId,bytes32[] datasetRoots,string name,string uri)"
    );

    /// @notice The identity registry address was zero.
    error ZeroAddress();

    IAgentWalletView private immutable _identity;

    /// @dev Dataset root => version record; `version == 0` means not registered.
    mapping(bytes32 root => DatasetVersion) private _datasets;

    /// @dev Weights digest => model record; `timestamp == 0` means not registered.
    mapping(bytes32 weightsDigest => ModelRecord) private _models;

    /// @param identityRegistry_ The ERC-8004 identity registry that resolves trainer agents to their owner and wallet.
    constructor(address identityRegistry_) EIP712("Machina Provenance", "1") {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        _identity = IAgentWalletView(identityRegistry_);
    }

    /// @inheritdoc IProvenanceRegistry
    function identityRegistry() external view returns (address) {
        return address(_identity);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Datasets
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProvenanceRegistry
    /// @dev Reverts `EmptyRoot` (root 0), `EmptyName`, `EmptyDataset` (no files), `DatasetAlreadyRegistered`,
    ///      `UnknownParent` (nonzero parent never registered). A root cannot be its own parent: it is not
    ///      registered yet when checked.
    function registerDataset(
        string calldata name,
        bytes32 root,
        bytes32 parent,
        uint64 fileCount,
        uint128 totalBytes,
        string calldata uri
    ) external returns (uint32 version) {
        if (root == bytes32(0)) revert EmptyRoot();
        if (bytes(name).length == 0) revert EmptyName();
        if (fileCount == 0) revert EmptyDataset();
        DatasetVersion storage d = _datasets[root];
        if (d.version != 0) revert DatasetAlreadyRegistered(root);
        version = 1;
        if (parent != bytes32(0)) {
            uint32 parentVersion = _datasets[parent].version;
            if (parentVersion == 0) revert UnknownParent(parent);
            version = parentVersion + 1;
        }

        if (parent != bytes32(0)) d.parent = parent;
        d.registrant = msg.sender;
        d.timestamp = uint48(block.timestamp);
        d.version = version;
        d.fileCount = fileCount;
        d.totalBytes = totalBytes;
        d.name = name;
        if (bytes(uri).length != 0) d.uri = uri;
        _emitDataset(root, name, uri);
    }

    /// @inheritdoc IProvenanceRegistry
    function datasetOf(bytes32 root) external view returns (DatasetVersion memory) {
        return _datasets[root];
    }

    /// @inheritdoc IProvenanceRegistry
    function isDataset(bytes32 root) external view returns (bool) {
        return _datasets[root].version != 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Models
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProvenanceRegistry
    /// @dev Checks, in order: `EmptyRoot` (weights digest 0), `EmptyName`, `NoDatasets`, `ModelAlreadyRegistered`,
    ///      `UnknownDataset` (first unregistered root), `UnknownBaseModel`, `MetricsDigestMismatch`,
    ///      `UnknownAgent`, `InvalidTrainerSignature` (signer is neither owner nor agentWallet, or its
    ///      signature does not verify). Only static calls leave the contract (identity views, ERC-1271), and all
    ///      of them happen before any state is written.
    function registerModel(ModelInput calldata m, address signer, bytes calldata signature) external {
        bytes32 id = m.weightsDigest;
        if (id == bytes32(0)) revert EmptyRoot();
        if (bytes(m.name).length == 0) revert EmptyName();
        uint256 n = m.datasetRoots.length;
        if (n == 0) revert NoDatasets();
        if (_models[id].timestamp != 0) revert ModelAlreadyRegistered(id);
        for (uint256 i; i < n; ++i) {
            bytes32 root = m.datasetRoots[i];
            if (_datasets[root].version == 0) revert UnknownDataset(root);
        }
        if (m.baseModel != bytes32(0) && _models[m.baseModel].timestamp == 0) revert UnknownBaseModel(m.baseModel);
        bytes32 actual = keccak256(bytes(m.metrics));
        if (actual != m.metricsDigest) revert MetricsDigestMismatch(m.metricsDigest, actual);
        _checkTrainer(m.trainerAgentId, signer, _hashTypedDataV4(_structHash(m)), signature);

        ModelRecord storage r = _models[id];
        r.trainerAgentId = m.trainerAgentId;
        r.configDigest = m.configDigest;
        r.metricsDigest = m.metricsDigest;
        if (m.baseModel != bytes32(0)) r.baseModel = m.baseModel;
        if (m.computeJobId != 0) r.computeJobId = m.computeJobId;
        r.signer = signer;
        r.registrant = msg.sender;
        r.timestamp = uint48(block.timestamp);
        r.datasetRoots = m.datasetRoots;
        r.name = m.name;
        if (bytes(m.uri).length != 0) r.uri = m.uri;
        _emitModel(m, signer);
    }

    /// @inheritdoc IProvenanceRegistry
    function modelOf(bytes32 weightsDigest) external view returns (ModelRecord memory) {
        return _models[weightsDigest];
    }

    /// @inheritdoc IProvenanceRegistry
    function isModel(bytes32 weightsDigest) external view returns (bool) {
        return _models[weightsDigest].timestamp != 0;
    }

    /// @inheritdoc IProvenanceRegistry
    function modelDigest(ModelInput calldata m) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(m));
    }

    /// @notice The EIP-712 domain separator of this deployment (name "Machina Provenance", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev Reverts unless `signer` is the agent's owner or agentWallet and `signature` is its valid signature of
    ///      `digest` (ECDSA for accounts with a key, ERC-1271 for contract accounts). An unknown agent (ownerOf
    ///      reverts) is `UnknownAgent`. The zero address never signs, even when the agent has no wallet.
    function _checkTrainer(uint256 agentId, address signer, bytes32 digest, bytes calldata signature) private view {
        address owner;
        try _identity.ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {}
        if (owner == address(0)) revert UnknownAgent(agentId);
        bool authorized = signer != address(0) && (signer == owner || signer == _identity.getAgentWallet(agentId));
        if (!authorized || !SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert InvalidTrainerSignature(agentId, signer);
        }
    }

    /// @dev EIP-712 struct hash of `m` under `MODEL_TYPEHASH`: arrays hash their packed elements, strings their
    ///      bytes; `metrics` is covered through `metricsDigest`.
    function _structHash(ModelInput calldata m) private pure returns (bytes32) {
        bytes memory head =
            abi.encode(MODEL_TYPEHASH, m.weightsDigest, m.trainerAgentId, m.configDigest, m.metricsDigest, m.baseModel);
        bytes memory tail = abi.encode(
            m.computeJobId,
            keccak256(abi.encodePacked(m.datasetRoots)),
            keccak256(bytes(m.name)),
            keccak256(bytes(m.uri))
        );
        return keccak256(bytes.concat(head, tail));
    }

    /// @dev Split out of `registerDataset` to stay within the legacy pipeline's stack limit; the numbers are read
    ///      back from the (now warm) record.
    function _emitDataset(bytes32 root, string calldata name, string calldata uri) private {
        DatasetVersion storage d = _datasets[root];
        emit DatasetRegistered(root, d.parent, msg.sender, d.version, d.fileCount, d.totalBytes, name, uri);
    }

    /// @dev Split out of `registerModel` to stay within the legacy pipeline's stack limit.
    function _emitModel(ModelInput calldata m, address signer) private {
        emit ModelRegistered(
            m.weightsDigest,
            m.trainerAgentId,
            signer,
            m.configDigest,
            m.metricsDigest,
            m.baseModel,
            m.computeJobId,
            m.datasetRoots,
            m.name,
            m.metrics,
            m.uri
        );
    }
}
