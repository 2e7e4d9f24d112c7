// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";

/// @title AnchorRegistry
/// @notice Records Merkle roots of digest batches with their submitter and block time. One transaction
///         anchors any number of digests; each digest's holder keeps an inclusion proof and checks it here
///         (or off chain against the recorded root).
/// @dev Gas design: the whole record (submitter 20 bytes + timestamp 6 + block number 6) is one storage word, so
///      `anchor` pays exactly one cold zero-to-nonzero SSTORE; `size` is only emitted. uint48 holds Unix seconds
///      and block numbers for millions of years. Nobody owns the registry and nothing can be removed or changed:
///      the first anchoring of a root is final.
contract AnchorRegistry is IAnchorRegistry {
    /// @dev root => its anchor record; `timestamp == 0` means never anchored (no block has time 0 on a live chain).
    mapping(bytes32 root => Anchor) private _anchors;

    /// @inheritdoc IAnchorRegistry
    /// @dev Anyone may anchor. Reverts `EmptyRoot` for the zero root, `EmptyBatch` for `size == 0` and
    ///      `RootAlreadyAnchored` if the root was anchored before (also by someone else).
    function anchor(bytes32 root, uint64 size) external {
        if (root == bytes32(0)) revert EmptyRoot();
        if (size == 0) revert EmptyBatch();
        Anchor storage a = _anchors[root];
        uint48 previous = a.timestamp;
        if (previous != 0) revert RootAlreadyAnchored(root, previous);

        uint48 timestamp = uint48(block.timestamp);
        // One packed word: written with a single SSTORE.
        _anchors[root] = Anchor({submitter: msg.sender, timestamp: timestamp, blockNumber: uint48(block.number)});
        emit RootAnchored(root, msg.sender, size, timestamp);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc IAnchorRegistry
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].timestamp != 0;
    }

    /// @inheritdoc IAnchorRegistry
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 digest) external view returns (bool) {
        return _anchors[root].timestamp != 0 && MerkleProof.verifyCalldata(proof, root, _digestLeaf(digest));
    }

    /// @inheritdoc IAnchorRegistry
    function requireAnchored(bytes32[] calldata proof, bytes32 root, bytes32 digest)
        external
        view
        returns (uint48 timestamp)
    {
        timestamp = _anchors[root].timestamp;
        if (timestamp == 0) revert RootNotAnchored(root);
        bytes32 leaf = _digestLeaf(digest);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof(root, leaf);
    }

    /// @inheritdoc IAnchorRegistry
    function digestLeaf(bytes32 digest) external pure returns (bytes32) {
        return _digestLeaf(digest);
    }

    /// @dev The standard-tree leaf of one bytes32 value: keccak256(bytes.concat(keccak256(abi.encode(digest)))).
    ///      Hashing twice keeps a leaf from ever equalling an inner node (64-byte preimage) of the same tree.
    function _digestLeaf(bytes32 digest) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, digest)
            mstore(0x00, keccak256(0x00, 0x20))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
