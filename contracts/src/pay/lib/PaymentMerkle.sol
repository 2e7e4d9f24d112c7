// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @title PaymentMerkle
/// @notice Leaf and root of the Merkle tree X402Settlement commits per batch, verifiable with OZ `MerkleProof`.
/// @dev Leaf: `keccak256(bytes.concat(keccak256(abi.encode(receiptId, client, agentId, asset, amount, settledAt))))`
///      (double hashed as OZ `StandardMerkleTree`, so a 64-byte inner node can never pass as a leaf), with
///      `settledAt` as `uint64`. Tree: the leaves in batch order (the settled items, in calldata order, failed
///      items skipped); each level pairs nodes (2k, 2k+1) with OZ `Hashes.commutativeKeccak256` (sorted pair) and
///      an odd last node is carried up unchanged. A proof lists the existing siblings from the leaf up. The TS twin
///      is src/pay/settlementProof.ts.
library PaymentMerkle {
    /// @notice The leaf of one settled payment.
    function leaf(bytes32 receiptId, address client, uint256 agentId, address asset, uint256 amount, uint64 settledAt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(receiptId, client, agentId, asset, amount, settledAt))));
    }

    /// @notice The root of the first `n` (> 0) entries of `nodes`. Overwrites `nodes`.
    function root(bytes32[] memory nodes, uint256 n) internal pure returns (bytes32) {
        while (n > 1) {
            uint256 half = n >> 1;
            for (uint256 i; i < half; ++i) {
                nodes[i] = Hashes.commutativeKeccak256(nodes[2 * i], nodes[2 * i + 1]);
            }
            if (n & 1 == 1) {
                nodes[half] = nodes[n - 1];
                n = half + 1;
            } else {
                n = half;
            }
        }
        return nodes[0];
    }
}
