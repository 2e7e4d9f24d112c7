// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {PaymentMerkle} from "../../src/pay/lib/PaymentMerkle.sol";
import {BatchProofs} from "./utils/BatchProofs.sol";

/// @notice The batch tree of PaymentMerkle against an independent reference and OZ MerkleProof.
contract X402SettlementMerkleTest is Test {
    function _leaves(bytes32 seed, uint256 n) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            l[i] = PaymentMerkle.leaf(
                keccak256(abi.encode(seed, i)), address(uint160(i + 1)), i, address(0xA55E7), 1e6 + i, uint64(1e9 + i)
            );
        }
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory copy = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            copy[i] = leaves[i];
        }
        return PaymentMerkle.root(copy, copy.length);
    }

    function test_root_singleLeafIsTheLeaf() public pure {
        bytes32[] memory l = _leaves("s", 1);
        assertEq(_root(l), l[0]);
    }

    function test_root_usesOnlyTheFirstN() public pure {
        bytes32[] memory l = _leaves("s", 5);
        bytes32[] memory three = _leaves("s", 3);
        assertEq(PaymentMerkle.root(l, 3), _root(three));
    }

    function test_leaf_isDoubleHashed() public pure {
        bytes32 inner = keccak256(abi.encode(bytes32("id"), address(1), uint256(2), address(3), uint256(4), uint64(5)));
        assertEq(PaymentMerkle.leaf("id", address(1), 2, address(3), 4, 5), keccak256(bytes.concat(inner)));
    }

    function testFuzz_root_matchesReferenceAndProofsVerify(bytes32 seed, uint8 n, uint8 pick) public pure {
        n = uint8(bound(n, 1, 70));
        bytes32[] memory l = _leaves(seed, n);
        bytes32 root = _root(l);
        assertEq(root, BatchProofs.root(l));
        uint256 i = bound(pick, 0, n - 1);
        bytes32[] memory proof = BatchProofs.proof(l, i);
        assertTrue(MerkleProof.verify(proof, root, l[i]));
        if (n > 1) assertFalse(MerkleProof.verify(proof, root, l[(i + 1) % n]));
    }
}
