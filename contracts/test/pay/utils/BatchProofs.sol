// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @notice Test-side Merkle proofs for X402Settlement batches (same tree as PaymentMerkle, built independently).
library BatchProofs {
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory out) {
        bytes32[] memory tmp = new bytes32[](64);
        uint256 len;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) tmp[len++] = level[sibling];
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 k; k + 1 < level.length; k += 2) {
                next[k / 2] = Hashes.commutativeKeccak256(level[k], level[k + 1]);
            }
            if (level.length % 2 == 1) next[next.length - 1] = level[level.length - 1];
            level = next;
            index >>= 1;
        }
        out = new bytes32[](len);
        for (uint256 i; i < len; ++i) {
            out[i] = tmp[i];
        }
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 k; k + 1 < level.length; k += 2) {
                next[k / 2] = Hashes.commutativeKeccak256(level[k], level[k + 1]);
            }
            if (level.length % 2 == 1) next[next.length - 1] = level[level.length - 1];
            level = next;
        }
        return level[0];
    }
}

/// @notice A token whose transferWithAuthorization calls back into the settlement (reentrancy probe).
contract ReentrantToken {
    address public target;
    bytes public callData;
    bool public reentryFailed;
    bytes public reentryError;

    function arm(address target_, bytes calldata data) external {
        target = target_;
        callData = data;
    }

    function transferWithAuthorization(address, address, uint256, uint256, uint256, bytes32, bytes calldata) external {
        (bool ok, bytes memory err) = target.call(callData);
        if (!ok) {
            reentryFailed = true;
            reentryError = err;
        }
    }
}
