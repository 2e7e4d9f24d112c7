// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockToken
/// @notice An 18-decimal ERC-20 anyone may mint, for pool tests and devnet scenarios. Never deploy it with value.
contract MockToken is ERC20 {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to` (no access control: test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
