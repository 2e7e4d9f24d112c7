// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAnchorRegistry
/// @notice Records Merkle roots of digest batches with their submitter and block time, like an
///         OpenTimestamps calendar on chain: one transaction anchors any number of digests.
/// @dev Leaves follow @openzeppelin/merkle-tree's standard tree: for a bytes32 digest the leaf is
///      keccak256(bytes.concat(keccak256(abi.encode(digest)))), inner nodes hash sorted pairs.
///      Anyone may anchor; the first anchoring of a root is the one that counts.
interface IAnchorRegistry {
    /// @notice When and by whom a root was anchored. `timestamp == 0` means never anchored.
    struct Anchor {
        address submitter;
        uint48 timestamp;
        uint48 blockNumber;
    }

    /// @notice A batch root was anchored. `size` is the number of digests the submitter says it holds.
    event RootAnchored(bytes32 indexed root, address indexed submitter, uint64 size, uint48 timestamp);

    /// @notice The zero root cannot be anchored.
    error EmptyRoot();
    /// @notice A batch must hold at least one digest.
    error EmptyBatch();
    /// @notice The root was anchored before (at `timestamp`); anchoring is once per root.
    error RootAlreadyAnchored(bytes32 root, uint48 timestamp);
    /// @notice `requireAnchored*`: the root was never anchored.
    error RootNotAnchored(bytes32 root);
    /// @notice `requireAnchored*`: the proof does not lead from the leaf to the root.
    error InvalidProof(bytes32 root, bytes32 leaf);

    /// @notice Anchors a batch root holding `size` digests.
    function anchor(bytes32 root, uint64 size) external;

    /// @notice The anchor record of `root` (all zero if never anchored).
    function anchorOf(bytes32 root) external view returns (Anchor memory);

    /// @notice Whether `root` was anchored.
    function isAnchored(bytes32 root) external view returns (bool);

    /// @notice True iff `root` is anchored and `proof` proves the standard leaf of `digest` under it.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 digest) external view returns (bool);

    /// @notice For other contracts that require provenance: reverts `RootNotAnchored` or `InvalidProof`,
    ///         otherwise returns when `digest` was anchored.
    function requireAnchored(bytes32[] calldata proof, bytes32 root, bytes32 digest)
        external
        view
        returns (uint48 timestamp);

    /// @notice The standard-tree leaf of a bytes32 digest.
    function digestLeaf(bytes32 digest) external pure returns (bytes32);
}
