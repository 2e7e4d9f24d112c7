// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInteractionReceipts} from "../../../src/identity/interfaces/IInteractionReceipts.sol";

/// @notice Test-only receipt source whose receipts are written directly by tests.
contract RepMockReceiptSource is IInteractionReceipts {
    mapping(bytes32 => InteractionReceipt) private _receipts;

    function setReceipt(bytes32 receiptId, address client, uint256 agentId, uint64 settledAt) external {
        _receipts[receiptId] = InteractionReceipt({
            client: client, agentId: agentId, asset: address(0), amount: 1 ether, settledAt: settledAt
        });
    }

    function interactionReceipt(bytes32 receiptId) external view returns (InteractionReceipt memory) {
        return _receipts[receiptId];
    }
}
