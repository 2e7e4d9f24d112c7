// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {AgentAccount} from "./AgentAccount.sol";

/// @title AgentAccountFactory
/// @notice Deploys {AgentAccount}s as OZ Clones at CREATE2 addresses known before deployment, and remembers which
///         addresses are its accounts (the paymaster sponsors only those).
contract AgentAccountFactory {
    /// @notice The account implementation every clone delegates to.
    address public immutable implementation;

    mapping(address account => bool) private _isAccount;

    event AccountCreated(
        address indexed account, uint256 indexed agentId, address indexed owner, address guardian, bytes32 salt
    );

    /// @param entryPoint The ERC-4337 v0.8 EntryPoint the accounts trust.
    constructor(IEntryPoint entryPoint) {
        implementation = address(new AgentAccount(entryPoint));
    }

    /// @notice Creates the account of `agentId` for `owner`, or returns it if it already exists (never reverts
    ///         for an existing account, so it is safe in an ERC-4337 `initCode` and in retries).
    /// @param owner    Full control of the account; non-zero.
    /// @param agentId  The ERC-8004 agent id every account event carries.
    /// @param guardian May freeze the account; zero for none.
    /// @param salt     Any value, to have several accounts for the same (owner, agentId, guardian).
    /// @return account The account address (= {predictAddress}).
    function createAccount(address owner, uint256 agentId, address guardian, bytes32 salt)
        external
        returns (address account)
    {
        bytes32 s = _salt(owner, agentId, guardian, salt);
        account = Clones.predictDeterministicAddress(implementation, s);
        if (account.code.length != 0) return account;
        Clones.cloneDeterministic(implementation, s);
        AgentAccount(payable(account)).initialize(owner, agentId, guardian);
        _isAccount[account] = true;
        emit AccountCreated(account, agentId, owner, guardian, salt);
    }

    /// @notice The address {createAccount} deploys (or deployed) for these arguments.
    function predictAddress(address owner, uint256 agentId, address guardian, bytes32 salt)
        external
        view
        returns (address)
    {
        return Clones.predictDeterministicAddress(implementation, _salt(owner, agentId, guardian, salt));
    }

    /// @notice Whether `account` was created by this factory.
    function isAccount(address account) external view returns (bool) {
        return _isAccount[account];
    }

    function _salt(address owner, uint256 agentId, address guardian, bytes32 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, agentId, guardian, salt));
    }
}
