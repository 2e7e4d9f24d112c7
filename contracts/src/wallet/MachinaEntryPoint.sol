// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";

/// @title MachinaEntryPoint
/// @notice The ERC-4337 v0.8 EntryPoint, unchanged, compiled with the project so that the devnet (and any chain
///         without the canonical v0.8 EntryPoint) can deploy it. Where the canonical one exists, Machina uses it.
contract MachinaEntryPoint is EntryPoint {}
