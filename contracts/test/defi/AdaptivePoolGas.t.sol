// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice Gas of the pool's hot paths on a warm pool (snapshot entries via `npm run gas:update`).
contract AdaptivePoolGasTest is PoolTestBase {
    uint256 internal shares;

    function setUp() public {
        _deployPool();
        shares = _seed(1e21, 1e21);
        _swap(true, 1e18);
        vm.warp(block.timestamp + 12);
    }

    function test_gas_swap() public {
        _swap(true, 1e18);
    }

    function test_gas_swapRollsTwap() public {
        vm.warp(block.timestamp + WINDOW);
        _swap(false, 1e18);
    }

    function test_gas_addLiquidity() public {
        vm.prank(lp);
        pool.addLiquidity(1e19, 1e19, 0, lp);
    }

    function test_gas_removeLiquidity() public {
        vm.prank(lp);
        pool.removeLiquidity(shares / 10, 0, 0, lp);
    }
}
