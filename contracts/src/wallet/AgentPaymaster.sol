// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

import {AgentAccountFactory} from "./AgentAccountFactory.sol";
import {IAgentAccount} from "./interfaces/IAgentAccount.sol";

/// @title AgentPaymaster
/// @notice ERC-4337 v0.8 paymaster that pays the gas of user operations sent by accounts of one
///         {AgentAccountFactory}, so that agents act through user operations without holding native token.
contract AgentPaymaster is BasePaymaster {
    /// @notice The factory whose accounts are sponsored.
    AgentAccountFactory public immutable factory;

    event Sponsored(address indexed account, uint256 indexed agentId, uint256 actualGasCost);

    error NotAnAgentAccount(address sender);

    /// @param entryPoint_ The EntryPoint holding this paymaster's deposit.
    /// @param factory_    Accounts created by it are sponsored.
    /// @param owner_      Controls the deposit and stake.
    constructor(IEntryPoint entryPoint_, address factory_, address owner_) BasePaymaster(entryPoint_) {
        factory = AgentAccountFactory(factory_);
        if (owner_ != msg.sender) _transferOwnership(owner_);
    }

    function _validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32, uint256)
        internal
        view
        override
        returns (bytes memory context, uint256 validationData)
    {
        if (!factory.isAccount(userOp.sender)) revert NotAnAgentAccount(userOp.sender);
        return (abi.encode(userOp.sender), 0);
    }

    function _postOp(PostOpMode, bytes calldata context, uint256 actualGasCost, uint256) internal override {
        address account = abi.decode(context, (address));
        emit Sponsored(account, IAgentAccount(account).agentId(), actualGasCost);
    }
}
